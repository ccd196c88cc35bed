"""Parcels, customs, and the shipment lifecycle: create (with rates) -> buy -> label/insure/rerate.

Records hold references by id (`_to`, `_parcel`, `_tracker`, ...) and money in cents; `render`
builds the wire object the way the recordings show it, nested objects included.
"""

from __future__ import annotations

import copy
import math
import secrets
from typing import Any

from sandboxes.easypost import addresses, labels, rates, trackers, webhooks
from sandboxes.easypost.errors import param_invalid, param_required, unprocessable
from sandboxes.easypost.state import MODE, Sandbox, as_bool, cents_to_str, new_id, now_iso, parse_money

DEFAULT_OPTIONS = {"currency": "USD", "payment": {"type": "SENDER"}, "date_advance": 0}


def public(record: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if record is None else {k: v for k, v in record.items() if not k.startswith("_")}


def create_parcel(sb: Sandbox, params: Any) -> dict[str, Any]:
    if not isinstance(params, dict) or not params:
        raise param_required("parcel")
    dims = {}
    for key in ("length", "width", "height", "weight"):
        value = params.get(key)
        try:
            dims[key] = None if value in (None, "") else float(value)
        except (TypeError, ValueError):
            raise param_invalid(key, "must be a number") from None
        if dims[key] is not None and (not math.isfinite(dims[key]) or dims[key] <= 0):
            raise param_invalid(key, "must be greater than zero")
    if dims["weight"] is None:
        raise param_required("weight")
    ts = now_iso()
    return sb.add(
        {
            "id": new_id("prcl"),
            "object": "Parcel",
            "created_at": ts,
            "updated_at": ts,
            **dims,
            "predefined_package": params.get("predefined_package"),
            "mode": MODE,
        }
    )


def _resolve_parcel(sb: Sandbox, value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return sb.get(value, "prcl")
    if isinstance(value, dict) and value.get("id"):
        return sb.get(value["id"], "prcl")
    return create_parcel(sb, value)


def _customs(sb: Sandbox, value: Any) -> str | None:
    if not value:
        return None
    if isinstance(value, dict) and value.get("id"):
        return sb.get(value["id"], "cstinfo")["id"]
    if not isinstance(value, dict):
        raise param_invalid("customs_info", "must be an object")
    ts = now_iso()
    items = []
    for item in value.get("customs_items") or []:
        items.append(
            {
                "id": new_id("cstitem"),
                "object": "CustomsItem",
                "created_at": ts,
                "updated_at": ts,
                "description": item.get("description"),
                "hs_tariff_number": item.get("hs_tariff_number"),
                "origin_country": item.get("origin_country"),
                "quantity": item.get("quantity"),
                "value": cents_to_str(parse_money(item.get("value") or 0, "customs_items.value")),
                "weight": float(item.get("weight") or 0),
                "code": item.get("code"),
                "mode": MODE,
                "manufacturer": None,
                "currency": item.get("currency"),
                "eccn": None,
                "printed_commodity_identifier": None,
            }
        )
    keys = (
        "contents_explanation",
        "contents_type",
        "customs_certify",
        "customs_signer",
        "eel_pfc",
        "non_delivery_option",
        "restriction_comments",
        "restriction_type",
        "declaration",
    )
    return sb.add(
        {
            "id": new_id("cstinfo"),
            "object": "CustomsInfo",
            "created_at": ts,
            "updated_at": ts,
            **{k: value.get(k) for k in keys},
            "mode": MODE,
            "customs_items": items,
        }
    )["id"]


def _account_ids(value: Any) -> list[str]:
    ids = []
    for item in value or []:
        ids.append(item.get("id") if isinstance(item, dict) else str(item))
    return [i for i in ids if i]


def create(sb: Sandbox, body: dict[str, Any], base_url: str) -> dict[str, Any]:
    params = body.get("shipment")
    if not isinstance(params, dict) or not params:
        raise param_required("shipment")
    for key in ("to_address", "from_address", "parcel"):
        if not params.get(key):
            raise param_required(f"shipment.{key}")
    to_addr = addresses.resolve(sb, params["to_address"], "to_address")
    from_addr = addresses.resolve(sb, params["from_address"], "from_address")
    return_addr = (
        addresses.resolve(sb, params["return_address"], "return_address") if params.get("return_address") else from_addr
    )
    buyer = addresses.resolve(sb, params["buyer_address"], "buyer_address") if params.get("buyer_address") else to_addr
    parcel = _resolve_parcel(sb, params["parcel"])
    options = {k: v for k, v in (params.get("options") or {}).items() if v is not None}
    for key, value in DEFAULT_OPTIONS.items():
        options.setdefault(key, copy.deepcopy(value))
    if options.get("label_format") is not None and labels.normalize_format(options["label_format"]) is None:
        raise param_invalid("options.label_format", "must be one of PNG, PDF, ZPL, EPL2")
    ts = now_iso()
    shipment: dict[str, Any] = {
        "id": new_id("shp"),
        "object": "Shipment",
        "mode": MODE,
        "created_at": ts,
        "updated_at": ts,
        "is_return": as_bool(params.get("is_return")),
        "status": "unknown",
        "reference": params.get("reference") or None,
        "tracking_code": None,
        "options": options,
        "_to": to_addr["id"],
        "_from": from_addr["id"],
        "_return": return_addr["id"],
        "_buyer": buyer["id"],
        "_parcel": parcel["id"],
        "_customs": _customs(sb, params.get("customs_info")),
        "_rates": [],
        "_selected": None,
        "postage_label": None,
        "_tracker": None,
        "_insurance": None,
        "_fees": [],
        "forms": [],
        "messages": [],
        "refund_status": None,
        "_scan_form": None,
        "batch_id": None,
        "batch_status": None,
        "batch_message": None,
        "order_id": None,
        "usps_zone": rates.usps_zone(from_addr.get("zip"), to_addr.get("zip")),
        "_accounts": _account_ids(params.get("carrier_accounts")),
    }
    if params.get("tax_identifiers"):
        shipment["tax_identifiers"] = [{**t, "tax_id": "HIDDEN"} for t in params["tax_identifiers"]]
    sb.add(shipment)
    _rate(sb, shipment)
    sb.stats["shipments_created"] += 1
    if params.get("service"):  # one-call buy
        rate = pick_rate(sb, shipment, params.get("carrier"), params["service"])
        insurance = params.get("insurance")
        buy(sb, shipment, {"rate": {"id": rate["id"]}, "insurance": insurance or None}, base_url)
    return shipment


def _rate(sb: Sandbox, shipment: dict[str, Any]) -> None:
    parcel = sb.objects[shipment["_parcel"]]
    found, messages = rates.make_rates(sb, shipment, parcel["weight"], shipment["usps_zone"], shipment["_accounts"])
    shipment["_rates"] = [r["id"] for r in found]
    shipment["messages"] = messages


def pick_rate(sb: Sandbox, shipment: dict[str, Any], carrier: str | None, service: str) -> dict[str, Any]:
    """The shipment's rate for `service` (and `carrier`, if given)."""
    for rate_id in shipment["_rates"]:
        rate = sb.objects[rate_id]
        if rate["service"].lower() == str(service).lower() and (
            not carrier or rate["carrier"].lower() == str(carrier).lower()
        ):
            return rate
    # Sandbox-chosen code: EasyPost's exact code for "no such service" was not recorded.
    raise unprocessable(
        "SHIPMENT.POSTAGE.FAILURE",
        f"No rate found for service {service!r}.",
        [{"field": "service", "message": "no matching rate"}],
    )


def _tracking_code(sb: Sandbox, carrier: str) -> str:
    seq = sb.next_tracking_number()
    tail = secrets.randbelow(10**6)  # random part keeps codes unique across sandbox restarts
    if carrier == "USPS":
        return f"9400100208303{tail:06d}{seq % 1000:03d}"
    if carrier == "UPS":
        return f"1Z999AA1{tail:06d}{seq % 10000:04d}"
    return f"7{tail:06d}{seq % 100000:05d}"


def buy(sb: Sandbox, shipment: dict[str, Any], body: dict[str, Any], base_url: str) -> dict[str, Any]:
    """POST /shipments/{id}/buy; rate as {"id": ...}, a full rate object, or a bare id."""
    if shipment["postage_label"] is not None:
        raise unprocessable("SHIPMENT.POSTAGE.EXISTS", "Postage already exists for this shipment.")
    rate_param = body.get("rate")
    rate_id = rate_param.get("id") if isinstance(rate_param, dict) else rate_param
    if not rate_id:
        raise param_required("rate")
    if rate_id not in shipment["_rates"]:
        raise unprocessable(
            "SHIPMENT.POSTAGE.FAILURE",
            "The rate is not valid for this shipment.",
            [{"field": "rate", "message": f"{rate_id} is not a rate of {shipment['id']}"}],
        )
    insurance = body.get("insurance")
    insured_cents = parse_money(insurance, "insurance") if insurance not in (None, "") else None
    if body.get("end_shipper_id"):
        sb.get(body["end_shipper_id"], "es")
    rate = sb.objects[rate_id]
    to_addr, from_addr = sb.objects[shipment["_to"]], sb.objects[shipment["_from"]]
    code = _tracking_code(sb, rate["carrier"])
    # A return label carries the parcel back to from_address (EasyPost swaps them when printing).
    origin, dest = (to_addr, from_addr) if shipment["is_return"] else (from_addr, to_addr)
    tracker = trackers.new(
        sb,
        code,
        rate["carrier"],
        shipment=shipment,
        origin=origin,
        destination=dest,
        service=rate["service"],
        delivery_days=rate["delivery_days"],
        is_return=shipment["is_return"],
    )
    label_format = labels.normalize_format(shipment["options"].get("label_format"))
    shipment.update(
        _selected=rate_id,
        tracking_code=code,
        _tracker=tracker["id"],
        updated_at=now_iso(),
        postage_label=labels.build(base_url, label_format),
        _fees=[["LabelFee", 0, False], ["PostageFee", rate["_cents"], False]],
    )
    if insured_cents:
        _insure(shipment, insured_cents)
    sb.stats["labels_bought"] += 1
    webhooks.emit_in_background(sb, "tracker.created", trackers.render(tracker))
    return shipment


def _insure(shipment: dict[str, Any], cents: int) -> None:
    shipment["_insurance"] = cents
    shipment["_fees"] = [f for f in shipment["_fees"] if f[0] != "InsuranceFee"]
    if cents:
        shipment["_fees"].append(["InsuranceFee", max(100, cents // 100), False])  # 1%, at least 1.00


def require_label(shipment: dict[str, Any]) -> None:
    if shipment["postage_label"] is None:
        # Sandbox-chosen code; the exact EasyPost code for this case was not recorded.
        raise unprocessable("SHIPMENT.POSTAGE.NOT_PURCHASED", "This shipment has not been purchased.")


def insure(shipment: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    require_label(shipment)
    if body.get("amount") in (None, ""):
        raise param_required("amount")
    _insure(shipment, parse_money(body["amount"], "amount"))
    shipment["updated_at"] = now_iso()
    return shipment


def convert_label(shipment: dict[str, Any], file_format: Any, base_url: str) -> dict[str, Any]:
    require_label(shipment)
    fmt = labels.normalize_format(file_format)
    if fmt is None:
        raise param_invalid("file_format", "must be one of PNG, PDF, ZPL, EPL2")
    labels.add_format(shipment["postage_label"], base_url, fmt)
    return shipment


def rerate(sb: Sandbox, shipment: dict[str, Any]) -> list[dict[str, Any]]:
    keep = shipment["_selected"]
    _rate(sb, shipment)
    if keep:  # a bought shipment keeps its selected rate retrievable alongside the new ones
        shipment["_rates"].append(keep)
    return [rates.render(sb.objects[r]) for r in shipment["_rates"] if r != keep]


def by_tracking_code(sb: Sandbox, code: str) -> dict[str, Any] | None:
    for shipment in sb.all("shp"):
        if shipment["tracking_code"] == code:
            return shipment
    return None


def render(sb: Sandbox, shipment: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: v for k, v in shipment.items() if not k.startswith("_")}
    obj = sb.objects
    out.update(
        to_address=public(obj[shipment["_to"]]),
        from_address=public(obj[shipment["_from"]]),
        return_address=public(obj[shipment["_return"]]),
        buyer_address=public(obj[shipment["_buyer"]]),
        parcel=public(obj[shipment["_parcel"]]),
        customs_info=public(obj[shipment["_customs"]]) if shipment["_customs"] else None,
        rates=[rates.render(obj[r]) for r in shipment["_rates"]],
        selected_rate=rates.render(obj[shipment["_selected"]]) if shipment["_selected"] else None,
        tracker=trackers.render(obj[shipment["_tracker"]]) if shipment["_tracker"] else None,
        insurance=cents_to_str(shipment["_insurance"]) if shipment["_insurance"] is not None else None,
        fees=[
            {"object": "Fee", "type": kind, "amount": cents_to_str(cents, 5), "charged": True, "refunded": refunded}
            for kind, cents, refunded in shipment["_fees"]
        ],
        scan_form=public(obj[shipment["_scan_form"]]) if shipment["_scan_form"] else None,
    )
    return out
