"""Sandbox-only endpoints (no auth): /_sandbox/* to observe and steer, /_files/* to serve labels."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sandboxes.easypost import labels, pickups, refunds, shipments, trackers, webhooks
from sandboxes.easypost.errors import ApiError, not_found
from sandboxes.easypost.faults import Faults
from sandboxes.easypost.label_files import read as read_label_file
from sandboxes.easypost.wire import public, read_body, sandbox_of

router = APIRouter()
STAT_KEYS = (
    "shipments_created",
    "labels_bought",
    "label_refunds",
    "trackers",
    "webhook_deliveries",
    "webhook_attempts",
)


@router.get("/_sandbox/stats")
async def stats(request: Request) -> dict[str, int]:
    counters = sandbox_of(request).stats
    return {key: counters[key] for key in STAT_KEYS}


@router.get("/_sandbox/api_keys")
async def api_keys(request: Request) -> dict[str, Any]:
    """The API keys requests presented: the last one, and how often each (a key this sandbox does not know
    only as `unknown…` and its last 4)."""
    sb = sandbox_of(request)
    return {"last": sb.last_api_key, "counts": dict(sb.keys_used)}


@router.get("/_sandbox/requests")
async def requests_seen(request: Request) -> list[dict[str, Any]]:
    """Every /v2 call since start, oldest first: when it arrived (epoch seconds), its method and path."""
    return [{"at": at, "method": m, "path": p} for at, m, p in sandbox_of(request).requests]


@router.get("/_sandbox/shipments")
async def shipments_by_reference(request: Request, reference: str | None = None) -> list[dict[str, Any]]:
    sb = sandbox_of(request)
    refunds.settle(sb)
    found = [s for s in sb.all("shp") if reference is None or s["reference"] == reference]
    return [shipments.render(sb, s) for s in found]


@router.post("/_sandbox/trackers/{key}/advance")
async def advance_tracker(key: str, request: Request) -> dict[str, Any]:
    """Move a tracker (by id or tracking code) one step, or to `status`; deliver tracker.updated now."""
    sb = sandbox_of(request)
    body = await read_body(request)
    tracker = trackers.find(sb, key)
    old = trackers.advance(sb, tracker, body.get("status"), body.get("status_detail"), body.get("message"))
    event, targets = webhooks.emit(sb, "tracker.updated", trackers.render(tracker), {"status": old})
    deliveries = await webhooks.deliver(sb, event, targets) if targets else []
    return {"event": public(event), "deliveries": deliveries}


@router.get("/_sandbox/pickups")
async def pickups_by_reference(request: Request, reference: str | None = None) -> list[dict[str, Any]]:
    sb = sandbox_of(request)
    return [pickups.render(sb, p) for p in sb.all("pickup") if reference is None or p["reference"] == reference]


@router.post("/_sandbox/pickups/{pickup_id}/carrier_cancel")
async def carrier_cancels_pickup(pickup_id: str, request: Request) -> dict[str, Any]:
    """The carrier calls a scheduled pickup off (no driver): the pickup reads `canceled` from now on."""
    sb = sandbox_of(request)
    pickup = sb.get(pickup_id, "pickup")
    pickups.cancel(pickup)
    return pickups.render(sb, pickup)


@router.get("/_sandbox/config")
async def get_config(request: Request) -> dict[str, Any]:
    sb = sandbox_of(request)
    return {"webhook_url": sb.webhook_url, "webhook_secret_set": bool(sb.webhook_secret)}


@router.put("/_sandbox/config")
async def put_config(request: Request) -> dict[str, Any]:
    sb = sandbox_of(request)
    body = await read_body(request)
    if "webhook_url" in body:
        sb.webhook_url = body["webhook_url"] or None
    if "webhook_secret" in body:
        sb.webhook_secret = body["webhook_secret"] or None
    return await get_config(request)


@router.get("/_sandbox/faults")
async def get_faults(request: Request) -> dict[str, Any]:
    return request.app.state.faults.spec


@router.put("/_sandbox/faults")
async def put_faults(request: Request) -> dict[str, Any]:
    try:
        request.app.state.faults = Faults(await read_body(request))
    except ValueError as exc:
        raise ApiError(400, "FAULTS.INVALID", str(exc)) from None
    return request.app.state.faults.spec


@router.delete("/_sandbox/faults")
async def clear_faults(request: Request) -> dict[str, Any]:
    request.app.state.faults = Faults()
    return {}


def _split(name: str) -> tuple[str, str]:
    stem, _, ext = name.rpartition(".")
    if ext not in labels.MEDIA_TYPES:
        raise not_found()
    return stem, ext


@router.get("/_files/labels/{name}")
async def label_file(name: str, request: Request) -> Response:
    label_id, ext = _split(name)
    content = read_label_file(sandbox_of(request), label_id, ext)
    if content is None:
        raise not_found()
    return Response(content, media_type=labels.MEDIA_TYPES[ext])


@router.get("/_files/{kind}/{name}")
async def form_file(kind: str, name: str, request: Request) -> Response:
    """Scan forms and batch labels: one file listing the tracking codes."""
    obj_id, ext = _split(name)
    sb = sandbox_of(request)
    if kind == "scan_forms":
        codes = sb.get(obj_id, "sf")["tracking_codes"]
    elif kind == "batches":
        codes = [sb.objects[i]["tracking_code"] or "" for i in sb.get(obj_id, "batch")["_shipments"]]
    else:
        raise not_found()
    content = labels.render_file(ext, [f"{kind[:-1]} {obj_id}", *codes], codes[0] if codes else obj_id)
    return Response(content, media_type=labels.MEDIA_TYPES[ext])
