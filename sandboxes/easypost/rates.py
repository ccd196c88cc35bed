"""Carrier accounts and deterministic rating.

Price (integer cents) = base + per started pound + per zone step, so the same parcel and
addresses always give the same rates and USPS GroundAdvantage is always the cheapest.  The
constants reproduce the recorded USPS test rates for the fixture parcel (15.4 oz, 94107 -> 90277,
zone 4): GroundAdvantage 6.07, Priority 7.42, Express 34.15.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from sandboxes.easypost.state import MODE, Sandbox, cents_to_str, new_id, now_iso


def _account_id(carrier: str) -> str:
    # Stable across restarts so configuration can name them (GET /v2/carrier_accounts lists them).
    return "ca_" + hashlib.md5(f"returnflow-sandbox-{carrier}".encode()).hexdigest()


CARRIER_ACCOUNTS = {
    "USPS": {"id": _account_id("USPS"), "type": "UspsAccount", "readable": "USPS"},
    "UPS": {"id": _account_id("UPS"), "type": "UpsAccount", "readable": "UPS"},
    "FedEx": {"id": _account_id("FedEx"), "type": "FedexAccount", "readable": "FedEx"},
}

# carrier, service, base, per_lb, per_zone (cents), delivery days at zone 1..4 / 5..8
SERVICES = (
    ("USPS", "GroundAdvantage", 342, 100, 55, (3, 5)),
    ("USPS", "Priority", 400, 120, 74, (2, 3)),
    ("USPS", "Express", 2800, 300, 105, (1, 2)),
    ("UPS", "Ground", 701, 110, 60, (3, 5)),
    ("UPS", "2ndDayAir", 1600, 250, 120, (2, 2)),
    ("FedEx", "FEDEX_GROUND", 723, 105, 62, (3, 5)),
    ("FedEx", "FEDEX_2_DAY", 1650, 240, 125, (2, 2)),
)


def account_objects() -> list[dict[str, Any]]:
    ts = "2025-01-01T00:00:00Z"
    return [
        {
            "id": a["id"],
            "object": "CarrierAccount",
            "type": a["type"],
            "readable": a["readable"],
            "description": f"{a['readable']} (sandbox)",
            "reference": None,
            "billing_type": "easypost",
            "clone": False,
            "credentials": {},
            "test_credentials": {},
            "fields": {},
            "logo": None,
            "created_at": ts,
            "updated_at": ts,
        }
        for a in CARRIER_ACCOUNTS.values()
    ]


def usps_zone(from_zip: str | None, to_zip: str | None) -> int:
    """A distance-like zone 1..8 from the first three ZIP digits (8 when either is not numeric)."""
    a, b = (from_zip or "")[:3], (to_zip or "")[:3]
    if not (a.isdigit() and b.isdigit()):
        return 8
    diff = abs(int(a) - int(b))
    return 1 if diff == 0 else min(8, 2 + diff // 16)


def quote(weight_oz: float, zone: int, per_lb: int, base: int, per_zone: int) -> int:
    pounds = max(1, math.ceil(weight_oz / 16))
    return base + per_lb * pounds + per_zone * (zone - 1)


def make_rates(
    sb: Sandbox, shipment: dict[str, Any], weight_oz: float, zone: int, account_ids: list[str] | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rate records for a shipment, and rate_error messages for unknown carrier accounts."""
    by_id = {a["id"]: carrier for carrier, a in CARRIER_ACCOUNTS.items()}
    carriers = set(CARRIER_ACCOUNTS)
    messages = []
    if account_ids:
        carriers = {by_id[i] for i in account_ids if i in by_id}
        messages = [
            {"carrier": None, "carrier_account_id": i, "type": "rate_error", "message": "Carrier account not found."}
            for i in account_ids
            if i not in by_id
        ]
    ts = now_iso()
    rates = []
    for carrier, service, base, per_lb, per_zone, days in SERVICES:
        if carrier not in carriers:
            continue
        cents = quote(weight_oz, zone, per_lb, base, per_zone)
        list_cents = cents if service == "Express" else cents * 108 // 100
        delivery_days = days[0] if zone <= 4 else days[1]
        rates.append(
            sb.add(
                {
                    "id": new_id("rate"),
                    "object": "Rate",
                    "created_at": ts,
                    "updated_at": ts,
                    "mode": MODE,
                    "service": service,
                    "carrier": carrier,
                    "_cents": cents,
                    "_retail": cents * 130 // 100,
                    "_list": list_cents,
                    "currency": "USD",
                    "billing_type": "easypost",
                    "delivery_days": delivery_days,
                    "delivery_date": None,
                    "delivery_date_guaranteed": False,
                    "est_delivery_days": delivery_days,
                    "shipment_id": shipment["id"],
                    "carrier_account_id": CARRIER_ACCOUNTS[carrier]["id"],
                }
            )
        )
    return rates, messages


def render(rate: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in rate.items() if not k.startswith("_")}
    out.update(
        rate=cents_to_str(rate["_cents"]),
        retail_rate=cents_to_str(rate["_retail"]),
        retail_currency="USD",
        list_rate=cents_to_str(rate["_list"]),
        list_currency="USD",
    )
    return out


def render_smart(rate: dict[str, Any]) -> dict[str, Any]:
    """SmartRate entries carry numbers, not strings, for the money fields (as recorded)."""
    out = render(rate)
    for key in ("rate", "retail_rate", "list_rate"):
        out[key] = float(out[key])
    d = rate["delivery_days"]
    out["time_in_transit"] = {
        "percentile_50": d,
        "percentile_75": d,
        "percentile_85": d + 1,
        "percentile_90": d + 1,
        "percentile_95": d + 2,
        "percentile_97": d + 2,
        "percentile_99": d + 4,
    }
    return out
