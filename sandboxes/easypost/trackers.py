"""Trackers: EasyPost test tracking codes, label trackers, and scripted status changes.

A tracker bought with a label starts at `unknown` with no details (as recorded) and moves only
when /_sandbox/trackers/{id}/advance says so.  Test codes EZ1000000001..EZ7000000007 are created
already at their documented status with a plausible detail history.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta, timezone
from typing import Any

from sandboxes.easypost.errors import ApiError
from sandboxes.easypost.state import MODE, Sandbox, new_id, now_iso

PROGRESS = ("unknown", "pre_transit", "in_transit", "out_for_delivery", "delivered")
STATUSES = PROGRESS + ("available_for_pickup", "return_to_sender", "failure", "cancelled", "error")
# A label counts as used once the carrier has scanned it; refunds are then rejected.
SCANNED = {"in_transit", "out_for_delivery", "delivered", "available_for_pickup", "return_to_sender", "failure"}
FINAL = {"delivered", "return_to_sender", "failure", "cancelled"}

DEFAULTS = {  # status -> (status_detail, message)
    "unknown": ("unknown", "Status unknown"),
    "pre_transit": ("label_created", "Shipping Label Created"),
    "in_transit": ("arrived_at_facility", "Arrived at Facility"),
    "out_for_delivery": ("out_for_delivery", "Out for Delivery"),
    "delivered": ("arrived_at_destination", "Delivered"),
    "available_for_pickup": ("arrived_at_pickup_location", "Available for Pickup"),
    "return_to_sender": ("return", "Returned to Sender"),
    "failure": ("delivery_exception", "Delivery Exception"),
    "cancelled": ("status_update", "Shipment Cancelled"),
    "error": ("unknown", "Tracking Error"),
}

TEST_CODES = {  # EasyPost test-mode tracking codes and the status each reports
    "EZ1000000001": "pre_transit",
    "EZ2000000002": "in_transit",
    "EZ3000000003": "out_for_delivery",
    "EZ4000000004": "delivered",
    "EZ5000000005": "return_to_sender",
    "EZ6000000006": "failure",
    "EZ7000000007": "unknown",
}
_TEST_PATHS = {  # the statuses a test code has passed through, oldest first
    "pre_transit": ["pre_transit", "pre_transit"],
    "in_transit": ["pre_transit", "pre_transit", "in_transit"],
    "out_for_delivery": ["pre_transit", "pre_transit", "in_transit", "out_for_delivery"],
    "delivered": ["pre_transit", "pre_transit", "in_transit", "out_for_delivery", "delivered"],
    "return_to_sender": ["pre_transit", "pre_transit", "in_transit", "return_to_sender"],
    "failure": ["pre_transit", "pre_transit", "in_transit", "failure"],
    "unknown": [],
}
HUBS = (
    ("MEMPHIS", "TN", "38118"),
    ("LOUISVILLE", "KY", "40209"),
    ("DALLAS", "TX", "75261"),
    ("DENVER", "CO", "80249"),
    ("ATLANTA", "GA", "30320"),
)
TEST_ORIGIN = {"city": "HOUSTON", "state": "TX", "zip": "77063", "country": "US"}
TEST_DESTINATION = {"city": "CHARLESTON", "state": "SC", "zip": "29401", "country": "US"}


def _location(place: dict[str, Any] | None) -> dict[str, Any]:
    place = place or {}
    return {
        "object": "TrackingLocation",
        "city": place.get("city"),
        "state": place.get("state"),
        "country": place.get("country"),
        "zip": place.get("zip"),
    }


def _place(addr: dict[str, Any]) -> dict[str, Any]:
    return {
        "city": (addr.get("city") or "").upper() or None,
        "state": addr.get("state"),
        "zip": (addr.get("zip") or "")[:5] or None,
        "country": addr.get("country"),
    }


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def new(
    sb: Sandbox,
    tracking_code: str,
    carrier: str,
    *,
    shipment: dict[str, Any] | None = None,
    origin: dict[str, Any] | None = None,
    destination: dict[str, Any] | None = None,
    service: str | None = None,
    delivery_days: int = 3,
    is_return: bool = False,
) -> dict[str, Any]:
    ts = now_iso()
    trk_id = new_id("trk")
    origin = _place(origin) if origin else dict(TEST_ORIGIN)
    destination = _place(destination) if destination else dict(TEST_DESTINATION)
    est = _iso(datetime.now(timezone.utc) + timedelta(days=delivery_days))
    tracker = {
        "id": trk_id,
        "object": "Tracker",
        "mode": MODE,
        "tracking_code": tracking_code,
        "status": "unknown",
        "status_detail": "unknown",
        "created_at": ts,
        "updated_at": ts,
        "signed_by": None,
        "weight": None,
        "est_delivery_date": est,
        "shipment_id": shipment["id"] if shipment else None,
        "carrier": carrier,
        "tracking_details": [],
        "carrier_detail": {
            "object": "CarrierDetail",
            "service": service,
            "container_type": None,
            "est_delivery_date_local": est[:10],
            "est_delivery_time_local": None,
            "origin_location": f"{origin['city']} {origin['state']}, {origin['zip']}",
            "origin_tracking_location": _location(origin),
            "destination_location": f"{destination['city']} {destination['state']}, {destination['zip']}",
            "destination_tracking_location": None,
            "guaranteed_delivery_date": None,
            "alternate_identifier": None,
            "initial_delivery_attempt": None,
        },
        "fees": [],
        "delivery_evidence": [],
        "finalized": False,
        "is_return": is_return,
        "public_url": "https://track.easypost.com/" + base64.urlsafe_b64encode(f"v1:{trk_id}".encode()).decode(),
        "_origin": origin,
        "_destination": destination,
    }
    sb.stats["trackers"] += 1
    return sb.add(tracker)


def new_from_test_code(sb: Sandbox, tracking_code: str, carrier: str) -> dict[str, Any]:
    tracker = new(sb, tracking_code, carrier, service="First-Class Package Service")
    path = _TEST_PATHS[TEST_CODES.get(tracking_code.upper(), "unknown")]
    start = datetime.now(timezone.utc) - timedelta(days=len(path))
    for i, status in enumerate(path):
        detail, message = DEFAULTS[status]
        if i == 0:  # the recorded first event of EZ test codes
            detail, message = "status_update", f"Pre-Shipment Info Sent to {carrier}"
        _append(tracker, status, detail, message, when=start + timedelta(days=i, hours=i))
    return tracker


def _append(
    tracker: dict[str, Any], status: str, detail: str, message: str, when: datetime | None = None
) -> dict[str, Any]:
    if status == "pre_transit":
        place = tracker["_origin"] if tracker["tracking_details"] else None
    elif status == "in_transit":
        digest = int(hashlib.sha256(tracker["tracking_code"].encode()).hexdigest(), 16)
        hub = HUBS[(digest + len(tracker["tracking_details"])) % len(HUBS)]
        place = {"city": hub[0], "state": hub[1], "zip": hub[2], "country": "US"}
    elif status in ("unknown", "error", "cancelled"):
        place = None
    else:
        place = tracker["_destination"]
    entry = {
        "object": "TrackingDetail",
        "message": message,
        "description": message,
        "status": status,
        "status_detail": detail,
        "datetime": _iso(when or datetime.now(timezone.utc)),
        "source": tracker["carrier"],
        "carrier_code": None,
        "tracking_location": _location(place),
        "est_delivery_date": None,
    }
    tracker["tracking_details"].append(entry)
    tracker.update(status=status, status_detail=detail, updated_at=now_iso(), finalized=status in FINAL)
    if status == "delivered":
        tracker["signed_by"] = "SANDBOX RECEIVER"
    return entry


def next_status(current: str) -> str:
    if current not in PROGRESS or current == PROGRESS[-1]:
        raise ApiError(
            422, "TRACKER.STATUS.FINAL", f"Tracker status {current!r} has no next step; pass an explicit status."
        )
    return PROGRESS[PROGRESS.index(current) + 1]


def advance(
    sb: Sandbox, tracker: dict[str, Any], status: str | None, status_detail: str | None, message: str | None
) -> str:
    """Append one tracking detail and move the tracker (and its shipment); returns the old status."""
    old = tracker["status"]
    status = status or next_status(old)
    if status not in STATUSES:
        raise ApiError(
            422,
            "TRACKER.STATUS.INVALID",
            f"Unknown tracker status {status!r}.",
            [{"field": "status", "message": f"must be one of {', '.join(STATUSES)}"}],
        )
    default_detail, default_message = DEFAULTS[status]
    _append(tracker, status, status_detail or default_detail, message or default_message)
    if tracker.get("shipment_id") and tracker["shipment_id"] in sb.objects:
        shipment = sb.objects[tracker["shipment_id"]]
        shipment.update(status=status, updated_at=now_iso())
    return old


def find(sb: Sandbox, id_or_code: str) -> dict[str, Any]:
    if id_or_code.startswith("trk_"):
        return sb.get(id_or_code, "trk")
    for tracker in sb.all("trk"):
        if tracker["tracking_code"] == id_or_code:
            return tracker
    return sb.get(id_or_code, "trk")  # raises NOT_FOUND


def render(tracker: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in tracker.items() if not k.startswith("_")}


def _guess_carrier(code: str) -> str:
    if code.upper().startswith("1Z"):
        return "UPS"
    if code.isdigit() and len(code) in (12, 15):
        return "FedEx"
    return "USPS"


def create(sb: Sandbox, params: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """POST /trackers; the same code (and carrier, if given) returns the existing tracker."""
    code = str(params.get("tracking_code") or "").strip()
    if not code:
        raise ApiError(
            422,
            "PARAMETER.REQUIRED",
            "Missing required parameter.",
            [{"field": "tracking_code", "message": "cannot be blank"}],
        )
    carrier = params.get("carrier")
    carrier = {"usps": "USPS", "ups": "UPS", "fedex": "FedEx"}.get(str(carrier).lower(), carrier) if carrier else None
    for tracker in sb.all("trk"):
        if tracker["tracking_code"] == code and (not carrier or tracker["carrier"].lower() == str(carrier).lower()):
            return tracker, False
    tracker = new_from_test_code(sb, code, str(carrier or _guess_carrier(code)))
    return tracker, True
