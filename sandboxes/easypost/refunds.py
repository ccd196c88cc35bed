"""Label refunds (voids): POST /shipments/{id}/refund and the bulk POST /refunds share one path.

A refund is `submitted` first and settles to `refunded` on the next read (GET of shipments or
refunds), emitting `refund.successful`; a label already scanned by the carrier is `rejected`.
Asking again is idempotent; a rejected refund is re-evaluated, as EasyPost allows retrying it.
"""

from __future__ import annotations

from typing import Any

from sandboxes.easypost import shipments, trackers, webhooks
from sandboxes.easypost.state import Sandbox, new_id, now_iso


def refund_label(sb: Sandbox, shipment: dict[str, Any]) -> dict[str, Any]:
    """Request a refund for a bought label; returns the Refund record."""
    shipments.require_label(shipment)
    refund = sb.objects.get(shipment.get("_refund") or "")
    if shipment["refund_status"] in ("submitted", "refunded") and refund:
        return refund
    tracker = sb.objects[shipment["_tracker"]]
    status = "rejected" if tracker["status"] in trackers.SCANNED else "submitted"
    ts = now_iso()
    if refund is None:
        carrier = sb.objects[shipment["_selected"]]["carrier"]
        refund = sb.add(
            {
                "id": new_id("rfnd"),
                "object": "Refund",
                "created_at": ts,
                "updated_at": ts,
                "tracking_code": shipment["tracking_code"],
                "confirmation_number": None,
                "status": status,
                "carrier": carrier,
                "shipment_id": shipment["id"],
            }
        )
        shipment["_refund"] = refund["id"]
    refund.update(status=status, updated_at=ts)
    shipment.update(refund_status=status, updated_at=ts)
    if status == "submitted":
        sb.stats["label_refunds"] += 1
    return refund


def unknown_code(sb: Sandbox, code: str, carrier: str | None) -> dict[str, Any]:
    """A bulk refund for a tracking code this account never bought is rejected (kept for listing)."""
    ts = now_iso()
    return sb.add(
        {
            "id": new_id("rfnd"),
            "object": "Refund",
            "created_at": ts,
            "updated_at": ts,
            "tracking_code": code,
            "confirmation_number": None,
            "status": "rejected",
            "carrier": carrier,
            "shipment_id": None,
        }
    )


def settle(sb: Sandbox) -> None:
    """Finish every submitted refund: the label is voided and postage refunded."""
    for shipment in sb.all("shp"):
        if shipment["refund_status"] != "submitted":
            continue
        refund = sb.objects[shipment["_refund"]]
        ts = now_iso()
        refund.update(status="refunded", confirmation_number=f"RF{refund['id'][-8:].upper()}", updated_at=ts)
        shipment.update(refund_status="refunded", updated_at=ts)
        for fee in shipment["_fees"]:
            if fee[0] == "PostageFee":
                fee[2] = True
        webhooks.emit_in_background(sb, "refund.successful", dict(refund))
