"""Pickups: create (status `unknown`, with pickup_rates) -> buy (`scheduled`) -> cancel (`canceled`)."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timezone
from typing import Any

from sandboxes.easypost import addresses, shipments
from sandboxes.easypost.errors import param_invalid, param_required, unprocessable
from sandboxes.easypost.state import MODE, Sandbox, as_bool, cents_to_str, new_id, now_iso

PICKUP_RATES = {  # carrier -> [(service, cents)]
    "USPS": [("NextDay", 0)],
    "UPS": [("Future-day Pickup", 650), ("Same-day Pickup", 850)],
    "FedEx": [("FDXG", 450)],
}


def _datetime(value: Any, field: str) -> str:
    """ISO date or datetime -> "YYYY-MM-DDTHH:MM:SSZ" in UTC (a bare date means midnight)."""
    if not value:
        raise param_required(field)
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        text += "T00:00:00"
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise param_invalid(field, "must be an ISO-8601 date or datetime") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def create(sb: Sandbox, body: dict[str, Any]) -> dict[str, Any]:
    params = body.get("pickup")
    if not isinstance(params, dict) or not params:
        raise param_required("pickup")
    ref = params.get("shipment") or params.get("batch")
    if not ref:
        raise param_required("pickup.shipment")
    ref_id = ref.get("id") if isinstance(ref, dict) else str(ref)
    if str(ref_id).startswith("batch_"):
        shipment_ids = sb.get(ref_id, "batch")["_shipments"]
    else:
        shipment_ids = [sb.get(ref_id, "shp")["id"]]
    bought = [sb.objects[i] for i in shipment_ids if sb.objects[i]["postage_label"] is not None]
    if not bought:
        # Sandbox-chosen code: a pickup needs a purchased label to collect.
        raise unprocessable("PICKUP.SHIPMENT.NOT_PURCHASED", "A pickup needs a purchased shipment.")
    address = addresses.resolve(sb, params.get("address"), "pickup.address")
    min_dt, max_dt = (
        _datetime(params.get("min_datetime"), "min_datetime"),
        _datetime(params.get("max_datetime"), "max_datetime"),
    )
    if max_dt < min_dt:
        raise param_invalid("max_datetime", "must not be before min_datetime")
    carrier = sb.objects[bought[0]["_selected"]]["carrier"]
    ts = now_iso()
    pickup = sb.add(
        {
            "id": new_id("pickup"),
            "object": "Pickup",
            "created_at": ts,
            "updated_at": ts,
            "mode": MODE,
            "status": "unknown",
            "reference": params.get("reference") or None,
            "min_datetime": min_dt,
            "max_datetime": max_dt,
            "is_account_address": as_bool(params.get("is_account_address")),
            "instructions": params.get("instructions"),
            "messages": [],
            "confirmation": None,
            "_address": address["id"],
            "carrier_accounts": [],
            "pickup_rates": [],
        }
    )
    for service, cents in PICKUP_RATES[carrier]:
        pickup["pickup_rates"].append(
            {
                "mode": MODE,
                "service": service,
                "rate": cents_to_str(cents),
                "currency": "USD",
                "created_at": ts,
                "updated_at": ts,
                "carrier": carrier,
                "pickup_id": pickup["id"],
                "id": new_id("pickuprate"),
                "object": "PickupRate",
            }
        )
    return pickup


def buy(pickup: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    carrier, service = body.get("carrier"), body.get("service")
    if not carrier:
        raise param_required("carrier")
    if not service:
        raise param_required("service")
    if pickup["status"] != "unknown":
        raise unprocessable("PICKUP.STATUS.INVALID", f"Pickup is already {pickup['status']}.")
    match = [
        r
        for r in pickup["pickup_rates"]
        if r["carrier"].lower() == str(carrier).lower() and r["service"].lower() == str(service).lower()
    ]
    if not match:
        raise unprocessable(
            "PICKUP.RATE.NOT_FOUND",
            "No pickup rate matches that carrier and service.",
            [{"field": "service", "message": f"{carrier} {service} is not offered"}],
        )
    pickup.update(status="scheduled", confirmation=f"WTC{secrets.randbelow(10**8):08d}", updated_at=now_iso())
    return pickup


def cancel(pickup: dict[str, Any]) -> dict[str, Any]:
    if pickup["status"] == "canceled":
        raise unprocessable("PICKUP.STATUS.INVALID", "Pickup is already canceled.")
    pickup.update(status="canceled", updated_at=now_iso())
    return pickup


def render(sb: Sandbox, pickup: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in pickup.items() if not k.startswith("_")}
    out["address"] = shipments.public(sb.objects[pickup["_address"]])
    return out
