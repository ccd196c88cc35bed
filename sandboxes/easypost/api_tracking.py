"""/v2 tracking endpoints: trackers, events (and their payloads), webhooks."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sandboxes.easypost import trackers, webhooks
from sandboxes.easypost.errors import ApiError, param_invalid, param_required
from sandboxes.easypost.wire import ok, page, public, read_body, sandbox_of

router = APIRouter()


# ---- trackers ----------------------------------------------------------------------------------


@router.post("/trackers")
async def create_tracker(request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    body = await read_body(request)
    tracker, created = trackers.create(sb, body.get("tracker") if isinstance(body.get("tracker"), dict) else {})
    if created:
        webhooks.emit_in_background(sb, "tracker.created", trackers.render(tracker))
    # 201 for a new tracker, 200 when EasyPost returns the one it already had (both recorded).
    return ok(trackers.render(tracker), 201 if created else 200)


@router.get("/trackers")
async def list_trackers(request: Request) -> JSONResponse:
    records = sandbox_of(request).all("trk")
    query = request.query_params
    codes = query.getlist("tracking_codes[]") + query.getlist("tracking_codes")
    if query.get("tracking_code"):
        codes.append(query["tracking_code"])
    if codes:
        records = [t for t in records if t["tracking_code"] in codes]
    if query.get("carrier"):
        records = [t for t in records if t["carrier"].lower() == query["carrier"].lower()]
    return page("trackers", records, request, trackers.render)


@router.post("/trackers/batch")
async def batch_trackers(request: Request) -> JSONResponse:
    codes = (await read_body(request)).get("tracking_codes") or []
    found = [t for t in sandbox_of(request).all("trk") if t["tracking_code"] in codes]
    return ok({"trackers": [trackers.render(t) for t in found], "has_more": False})


@router.get("/trackers/{tracker_id}")
async def get_tracker(tracker_id: str, request: Request) -> JSONResponse:
    return ok(trackers.render(sandbox_of(request).get(tracker_id, "trk")))


@router.delete("/trackers/{tracker_id}")
async def delete_tracker(tracker_id: str, request: Request) -> JSONResponse:
    sandbox_of(request).get(tracker_id, "trk")["_deleted"] = True
    return ok({"success": True})


# ---- events, webhooks ----------------------------------------------------------------------------


@router.get("/events")
async def list_events(request: Request) -> JSONResponse:
    return page("events", sandbox_of(request).all("evt"), request, lambda e: webhooks.render_event(e, listing=True))


@router.get("/events/{event_id}")
async def get_event(event_id: str, request: Request) -> JSONResponse:
    return ok(webhooks.render_event(sandbox_of(request).get(event_id, "evt")))


@router.get("/events/{event_id}/payloads")
async def list_payloads(event_id: str, request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    event = sb.get(event_id, "evt")
    return ok({"payloads": [sb.objects[p] for p in event["_payloads"]]})


@router.get("/events/{event_id}/payloads/{payload_id}")
async def get_payload(event_id: str, payload_id: str, request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    if payload_id not in sb.get(event_id, "evt")["_payloads"]:
        raise ApiError(404, "PAYLOAD.NOT_FOUND", "The payload(s) could not be found.")
    return ok(sb.objects[payload_id])


@router.post("/webhooks")
async def create_webhook(request: Request) -> JSONResponse:
    body = await read_body(request)
    params = body.get("webhook") if isinstance(body.get("webhook"), dict) else {}
    if not params.get("url"):
        raise param_required("webhook.url")
    if not str(params["url"]).startswith(("http://", "https://")):
        raise param_invalid("webhook.url", "must be an http(s) URL")
    return ok(public(webhooks.new_webhook(sandbox_of(request), params)), 201)


@router.get("/webhooks")
async def list_webhooks(request: Request) -> JSONResponse:
    return ok({"webhooks": [public(h) for h in sandbox_of(request).all("hook")]})  # no has_more


@router.get("/webhooks/{hook_id}")
async def get_webhook(hook_id: str, request: Request) -> JSONResponse:
    return ok(public(sandbox_of(request).get(hook_id, "hook")))


@router.patch("/webhooks/{hook_id}")
async def update_webhook(hook_id: str, request: Request) -> JSONResponse:
    hook = sandbox_of(request).get(hook_id, "hook")
    body = await read_body(request)
    params = body.get("webhook") if isinstance(body.get("webhook"), dict) else body
    if "webhook_secret" in params:
        hook["_secret"] = params["webhook_secret"]
    if "custom_headers" in params:
        hook["custom_headers"] = list(params["custom_headers"] or [])
    hook["disabled_at"] = None  # updating re-enables a disabled webhook
    return ok(public(hook), 201)  # recorded status for PATCH is 201


@router.delete("/webhooks/{hook_id}")
async def delete_webhook(hook_id: str, request: Request) -> JSONResponse:
    sandbox_of(request).get(hook_id, "hook")["_deleted"] = True
    return ok({})
