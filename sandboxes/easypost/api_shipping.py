"""/v2 shipping endpoints: addresses, end shippers, carrier accounts, parcels, rates, shipments, refunds.

Handlers are `async def` on purpose: they run on the event loop one at a time between awaits,
so the in-memory state needs no locks.  They stay thin: parse, call the domain module, render.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sandboxes.easypost import addresses, rates, refunds, shipments
from sandboxes.easypost.errors import not_found, param_required
from sandboxes.easypost.state import as_bool
from sandboxes.easypost.wire import base_url, ok, page, public, read_body, sandbox_of

router = APIRouter()


# ---- addresses ---------------------------------------------------------------------------


@router.post("/addresses")
async def create_address(request: Request) -> JSONResponse:
    return ok(public(addresses.create(sandbox_of(request), await read_body(request))), 201)


@router.get("/addresses")
async def list_addresses(request: Request) -> JSONResponse:
    return page("addresses", sandbox_of(request).all("adr"), request, public)


@router.post("/addresses/create_and_verify")
async def create_and_verify_address(request: Request) -> JSONResponse:
    return ok({"address": public(addresses.create_and_verify(sandbox_of(request), await read_body(request)))})


@router.get("/addresses/{address_id}")
async def get_address(address_id: str, request: Request) -> JSONResponse:
    return ok(public(sandbox_of(request).get(address_id, "adr")))


@router.get("/addresses/{address_id}/verify")
async def verify_address(address_id: str, request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    return ok({"address": public(addresses.verified_copy(sb, sb.get(address_id, "adr")))})


# ---- end shippers, carrier accounts ----------------------------------------------------


def _end_shipper(params: Any) -> dict[str, Any]:
    if not isinstance(params, dict) or not params:
        raise param_required("address")
    record = addresses.record(params, prefix="es")
    addresses.verify(record)  # recorded: EndShippers come back normalised (upper case, ZIP+4)
    record.pop("verifications", None), record.pop("residential", None)
    return record


@router.post("/end_shippers")
async def create_end_shipper(request: Request) -> JSONResponse:
    return ok(sandbox_of(request).add(_end_shipper((await read_body(request)).get("address"))), 201)


@router.put("/end_shippers/{es_id}")
async def update_end_shipper(es_id: str, request: Request) -> JSONResponse:
    existing = sandbox_of(request).get(es_id, "es")
    updated = _end_shipper((await read_body(request)).get("address"))
    existing.update({k: v for k, v in updated.items() if k not in ("id", "created_at")})
    return ok(existing)


@router.get("/end_shippers")
async def list_end_shippers(request: Request) -> JSONResponse:
    return page("end_shippers", sandbox_of(request).all("es"), request, public)


@router.get("/end_shippers/{es_id}")
async def get_end_shipper(es_id: str, request: Request) -> JSONResponse:
    return ok(sandbox_of(request).get(es_id, "es"))


@router.get("/carrier_accounts")
async def list_carrier_accounts() -> JSONResponse:
    return ok(rates.account_objects())  # EasyPost answers a bare array here


@router.get("/carrier_accounts/{ca_id}")
async def get_carrier_account(ca_id: str) -> JSONResponse:
    for account in rates.account_objects():
        if account["id"] == ca_id:
            return ok(account)
    raise not_found()


# ---- parcels, rates ------------------------------------------------------------------------


@router.post("/parcels")
async def create_parcel(request: Request) -> JSONResponse:
    return ok(shipments.create_parcel(sandbox_of(request), (await read_body(request)).get("parcel")), 201)


@router.get("/parcels/{parcel_id}")
async def get_parcel(parcel_id: str, request: Request) -> JSONResponse:
    return ok(sandbox_of(request).get(parcel_id, "prcl"))


@router.get("/rates/{rate_id}")
async def get_rate(rate_id: str, request: Request) -> JSONResponse:
    return ok(rates.render(sandbox_of(request).get(rate_id, "rate")))


# ---- shipments -------------------------------------------------------------------------------


@router.post("/shipments")
async def create_shipment(request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    return ok(shipments.render(sb, shipments.create(sb, await read_body(request), base_url(request))), 201)


@router.get("/shipments")
async def list_shipments(request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    refunds.settle(sb)
    records = sb.all("shp")
    query = request.query_params
    if "purchased" in query:
        want = as_bool(query["purchased"])
        records = [s for s in records if (s["postage_label"] is not None) == want]
    if query.get("reference"):  # not an EasyPost filter; harmless and handy for tests
        records = [s for s in records if s["reference"] == query["reference"]]
    return page("shipments", records, request, lambda s: shipments.render(sb, s))


@router.get("/shipments/{shipment_id}")
async def get_shipment(shipment_id: str, request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    refunds.settle(sb)
    return ok(shipments.render(sb, sb.get(shipment_id, "shp")))


@router.post("/shipments/{shipment_id}/buy")
async def buy_shipment(shipment_id: str, request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    shipment = sb.get(shipment_id, "shp")
    return ok(shipments.render(sb, shipments.buy(sb, shipment, await read_body(request), base_url(request))))


@router.get("/shipments/{shipment_id}/label")
async def convert_label(shipment_id: str, request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    shipment = sb.get(shipment_id, "shp")
    fmt = request.query_params.get("file_format")
    return ok(shipments.render(sb, shipments.convert_label(shipment, fmt, base_url(request))))


@router.post("/shipments/{shipment_id}/refund")
async def refund_shipment(shipment_id: str, request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    shipment = sb.get(shipment_id, "shp")
    refunds.refund_label(sb, shipment)
    return ok(shipments.render(sb, shipment))


@router.post("/shipments/{shipment_id}/rerate")
async def rerate_shipment(shipment_id: str, request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    return ok({"rates": shipments.rerate(sb, sb.get(shipment_id, "shp"))})


@router.post("/shipments/{shipment_id}/insure")
async def insure_shipment(shipment_id: str, request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    shipment = sb.get(shipment_id, "shp")
    return ok(shipments.render(sb, shipments.insure(shipment, await read_body(request))))


@router.get("/shipments/{shipment_id}/smartrate")
async def smart_rates(shipment_id: str, request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    shipment = sb.get(shipment_id, "shp")
    return ok({"result": [rates.render_smart(sb.objects[r]) for r in shipment["_rates"]]})


# ---- refunds -----------------------------------------------------------------------------------


@router.post("/refunds")
async def create_refunds(request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    body = await read_body(request)
    params = body.get("refund") if isinstance(body.get("refund"), dict) else body
    codes = params.get("tracking_codes") or []
    if not codes:
        raise param_required("refund.tracking_codes")
    carrier = params.get("carrier")
    out = []
    for code in codes:
        shipment = shipments.by_tracking_code(sb, code)
        if shipment is None or (
            carrier
            and shipment["postage_label"] is not None
            and sb.objects[shipment["_selected"]]["carrier"].lower() != str(carrier).lower()
        ):
            out.append(refunds.unknown_code(sb, code, carrier))
        else:
            out.append(refunds.refund_label(sb, shipment))
    return ok([dict(r) for r in out], 201)  # a bare JSON array, as recorded


@router.get("/refunds")
async def list_refunds(request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    refunds.settle(sb)
    return page("refunds", sb.all("rfnd"), request, dict)


@router.get("/refunds/{refund_id}")
async def get_refund(refund_id: str, request: Request) -> JSONResponse:
    sb = sandbox_of(request)
    refunds.settle(sb)
    return ok(sb.get(refund_id, "rfnd"))
