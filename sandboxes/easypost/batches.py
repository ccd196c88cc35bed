"""Batches and ScanForms, minimal and synchronous.

EasyPost builds batches asynchronously (state `creating`, then `created` ...); here each call
finishes its work at once and reports the state it reached, emitting batch.created/updated.
"""

from __future__ import annotations

from typing import Any

from sandboxes.easypost import shipments, webhooks
from sandboxes.easypost.errors import ApiError, param_invalid, param_required, unprocessable
from sandboxes.easypost.labels import normalize_format
from sandboxes.easypost.state import MODE, Sandbox, new_id, now_iso

STATUS_KEYS = ("created", "queued_for_purchase", "creation_failed", "postage_purchased", "postage_purchase_failed")


def _shipment_refs(sb: Sandbox, items: Any, base_url: str) -> list[dict[str, Any]]:
    out = []
    for item in items or []:
        if isinstance(item, dict) and item.get("id"):
            out.append(sb.get(item["id"], "shp"))
        elif isinstance(item, dict):
            # A service named here is what the batch buys later, not a one-call buy now.
            service, carrier = item.get("service"), item.get("carrier")
            params = {k: v for k, v in item.items() if k not in ("service", "carrier")}
            shipment = shipments.create(sb, {"shipment": params}, base_url)
            shipment["_batch_service"] = [carrier, service] if service else None  # JSON-safe: saved as is
            out.append(shipment)
        else:
            out.append(sb.get(str(item), "shp"))
    return out


def _attach(batch: dict[str, Any], shipment: dict[str, Any]) -> None:
    if shipment["id"] not in batch["_shipments"]:
        batch["_shipments"].append(shipment["id"])
    status = "postage_purchased" if shipment["postage_label"] else "created"
    shipment.update(batch_id=batch["id"], batch_status=status, batch_message=None)


def create(sb: Sandbox, body: dict[str, Any], base_url: str) -> dict[str, Any]:
    params = body.get("batch") if isinstance(body.get("batch"), dict) else {}
    ts = now_iso()
    batch = sb.add(
        {
            "id": new_id("batch"),
            "object": "Batch",
            "mode": MODE,
            "state": "created",
            "reference": params.get("reference"),
            "created_at": ts,
            "updated_at": ts,
            "scan_form": None,
            "pickup": None,
            "label_url": None,
            "_shipments": [],
        }
    )
    for shipment in _shipment_refs(sb, params.get("shipments"), base_url):
        _attach(batch, shipment)
    webhooks.emit_in_background(sb, "batch.created", render(sb, batch))
    return batch


def _changed(sb: Sandbox, batch: dict[str, Any], state: str) -> dict[str, Any]:
    previous = batch["state"]
    batch.update(state=state, updated_at=now_iso())
    webhooks.emit_in_background(sb, "batch.updated", render(sb, batch), {"state": previous})
    return batch


def add_shipments(sb: Sandbox, batch: dict[str, Any], body: dict[str, Any], base_url: str) -> dict[str, Any]:
    for shipment in _shipment_refs(sb, body.get("shipments"), base_url):
        _attach(batch, shipment)
    return _changed(sb, batch, batch["state"])


def remove_shipments(sb: Sandbox, batch: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    for shipment in _shipment_refs(sb, body.get("shipments"), ""):
        if shipment["id"] in batch["_shipments"]:
            batch["_shipments"].remove(shipment["id"])
            shipment.update(batch_id=None, batch_status=None, batch_message=None)
    return _changed(sb, batch, batch["state"])


def buy(sb: Sandbox, batch: dict[str, Any], base_url: str) -> dict[str, Any]:
    """Buy the cheapest rate for every unbought shipment in the batch."""
    for shipment_id in batch["_shipments"]:
        shipment = sb.objects[shipment_id]
        if shipment["postage_label"] is None:
            wanted = shipment.get("_batch_service")
            try:
                rate = (
                    shipments.pick_rate(sb, shipment, *wanted)
                    if wanted
                    else min((sb.objects[r] for r in shipment["_rates"]), key=lambda r: r["_cents"])
                )
            except (ApiError, ValueError) as exc:
                shipment.update(batch_status="postage_purchase_failed", batch_message=str(exc))
                continue
            shipments.buy(sb, shipment, {"rate": {"id": rate["id"]}}, base_url)
        shipment["batch_status"] = "postage_purchased"
    return _changed(sb, batch, "purchased")


def label(sb: Sandbox, batch: dict[str, Any], body: dict[str, Any], base_url: str) -> dict[str, Any]:
    fmt = normalize_format(body.get("file_format"))
    if fmt is None:
        raise param_invalid("file_format", "must be one of PNG, PDF, ZPL, EPL2")
    if batch["state"] not in ("purchased", "label_generated"):
        raise unprocessable("BATCH.NOT_PURCHASED", "The batch must be purchased before generating labels.")
    batch["label_url"] = f"{base_url}_files/batches/{batch['id']}.{fmt.lower()}"
    return _changed(sb, batch, "label_generated")


def create_scan_form(
    sb: Sandbox, shipment_list: list[dict[str, Any]], base_url: str, batch: dict[str, Any] | None = None
) -> dict[str, Any]:
    if not shipment_list:
        raise param_required("shipments")
    for shipment in shipment_list:
        shipments.require_label(shipment)
        if shipment["_scan_form"]:
            raise unprocessable("SCAN_FORM.SHIPMENT.EXISTS", f"Shipment {shipment['id']} is already on a scan form.")
    if batch is None:  # EasyPost files a stand-alone scan form under a batch of its own
        batch = sb.add(
            {
                "id": new_id("batch"),
                "object": "Batch",
                "mode": MODE,
                "state": "purchased",
                "reference": None,
                "created_at": now_iso(),
                "updated_at": now_iso(),
                "scan_form": None,
                "pickup": None,
                "label_url": None,
                "_shipments": [],
            }
        )
        for shipment in shipment_list:
            _attach(batch, shipment)
    ts = now_iso()
    sf_id = new_id("sf")
    from_addr = sb.objects[shipment_list[0]["_from"]]
    scan_form = sb.add(
        {
            "id": sf_id,
            "object": "ScanForm",
            "created_at": ts,
            "updated_at": ts,
            "tracking_codes": [s["tracking_code"] for s in shipment_list],
            "address": shipments.public(from_addr),
            "status": "created",
            "message": None,
            "form_url": f"{base_url}_files/scan_forms/{sf_id}.pdf",
            "form_file_type": None,
            "batch_id": batch["id"],
            "confirmation": None,
        }
    )
    for shipment in shipment_list:
        shipment["_scan_form"] = sf_id
    batch["scan_form"] = scan_form
    return scan_form


def scan_form_for_batch(sb: Sandbox, batch: dict[str, Any], base_url: str) -> dict[str, Any]:
    create_scan_form(sb, [sb.objects[i] for i in batch["_shipments"]], base_url, batch)
    return _changed(sb, batch, batch["state"])


def render(sb: Sandbox, batch: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in batch.items() if not k.startswith("_")}
    members = [sb.objects[i] for i in batch["_shipments"]]
    out["num_shipments"] = len(members)
    out["shipments"] = [
        {
            "batch_status": s["batch_status"],
            "batch_message": s["batch_message"],
            "reference": s["reference"],
            "tracking_code": s["tracking_code"],
            "id": s["id"],
        }
        for s in members
    ]
    out["status"] = {key: sum(1 for s in members if s["batch_status"] == key) for key in STATUS_KEYS}
    return out
