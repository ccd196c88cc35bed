"""/v2 operations endpoints: pickups, batches, scan forms, and the claims path the recordings use."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sandboxes.easypost import batches, pickups, shipments
from sandboxes.easypost.errors import ApiError, not_found
from sandboxes.easypost.state import MODE, new_id, now_iso
from sandboxes.easypost.wire import base_url, ok, page, read_body, sandbox_of

router = APIRouter()


# ---- pickups -----------------------------------------------------------------------------------


@router.post("/pickups")
async def create_pickup(request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    return ok(pickups.render(sb, pickups.create(sb, await read_body(request))))  # 200, as recorded


@router.get("/pickups")
async def list_pickups(request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    return page("pickups", sb.all("pickup"), request, lambda p: pickups.render(sb, p))


@router.get("/pickups/{pickup_id}")
async def get_pickup(pickup_id: str, request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    return ok(pickups.render(sb, sb.get(pickup_id, "pickup")))


@router.post("/pickups/{pickup_id}/buy")
async def buy_pickup(pickup_id: str, request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    return ok(pickups.render(sb, pickups.buy(sb.get(pickup_id, "pickup"), await read_body(request))))


@router.post("/pickups/{pickup_id}/cancel")
async def cancel_pickup(pickup_id: str, request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    return ok(pickups.render(sb, pickups.cancel(sb.get(pickup_id, "pickup"))))


# ---- batches, scan forms ---------------------------------------------------------------------


@router.post("/batches")
async def create_batch(request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    return ok(batches.render(sb, batches.create(sb, await read_body(request), base_url(request))))


@router.get("/batches")
async def list_batches(request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    return page("batches", sb.all("batch"), request, lambda b: batches.render(sb, b))


@router.get("/batches/{batch_id}")
async def get_batch(batch_id: str, request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    return ok(batches.render(sb, sb.get(batch_id, "batch")))


@router.post("/batches/{batch_id}/{action}")
async def batch_action(batch_id: str, action: str, request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    batch, body, base = sb.get(batch_id, "batch"), await read_body(request), base_url(request)
    if action == "buy":
        batches.buy(sb, batch, base)
    elif action == "label":
        batches.label(sb, batch, body, base)
    elif action == "scan_form":
        batches.scan_form_for_batch(sb, batch, base)
    elif action == "add_shipments":
        batches.add_shipments(sb, batch, body, base)
    elif action == "remove_shipments":
        batches.remove_shipments(sb, batch, body)
    else:
        raise not_found()
    return ok(batches.render(sb, batch))


@router.post("/scan_forms")
async def create_scan_form(request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    body = await read_body(request)
    params = body.get("scan_form") if isinstance(body.get("scan_form"), dict) else body
    refs = params.get("shipments") or params.get("shipment") or []  # recorded key is "shipment"
    shipment_list = [sb.get(r.get("id") if isinstance(r, dict) else r, "shp") for r in refs]
    return ok(batches.create_scan_form(sb, shipment_list, base_url(request)))  # 200, as recorded


@router.get("/scan_forms")
async def list_scan_forms(request: Request) -> JSONResponse:
    return page("scan_forms", sandbox_of(request).all("sf"), request, dict)


@router.get("/scan_forms/{sf_id}")
async def get_scan_form(sf_id: str, request: Request) -> JSONResponse:
    return ok(sandbox_of(request).get(sf_id, "sf"))


# ---- claims (only what the recordings exercise) --------------------------------------------------


@router.post("/claims")
async def create_claim(request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    body = await read_body(request)
    shipment = shipments.by_tracking_code(sb, str(body.get("tracking_code") or ""))
    if shipment is None or not shipment["_insurance"]:
        # Recorded (test_error_alternative_format.yaml): `errors` is a list of strings here.
        raise ApiError(
            404,
            "NOT_FOUND",
            "The requested resource could not be found.",
            ["No eligible insurance found with provided tracking code."],
        )
    ts = now_iso()
    claim = sb.add(
        {
            "id": new_id("clm"),
            "object": "Claim",
            "mode": MODE,
            "created_at": ts,
            "updated_at": ts,
            "status": "submitted",
            "type": body.get("type"),
            "tracking_code": shipment["tracking_code"],
            "shipment_id": shipment["id"],
            "requested_amount": body.get("amount"),
            "approved_amount": None,
            "description": body.get("description"),
        }
    )
    return ok(claim, 201)


@router.get("/claims/{claim_id}")
async def get_claim(claim_id: str, request: Request) -> JSONResponse:
    return ok(sandbox_of(request).get(claim_id, "clm"))
