"""Facts sent to a return while it runs (signals): carrier scans, dock scans, the worker's trouble reports."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class CarrierEvent(BaseModel):
    """A carrier tracking update (signal). `event_id` is EasyPost's, used to drop duplicates."""

    event_id: str
    tracking_status: str
    status_detail: str | None = None
    occurred_at: datetime


class WarehouseReceipt(BaseModel):
    """A dock scan at a warehouse (signal)."""

    receipt_id: str
    warehouse_id: str
    received_at: datetime
    tracking_code: str | None = None  # which parcel; None: the whole return (scanned by return id or RMA code)


class SideEffectTrouble(BaseModel):
    """Signal from the worker (workers/trouble.py): an activity of this return keeps failing
    and Temporal keeps retrying it, or one that failed before has now succeeded."""

    activity: str  # the activity type, e.g. send_label_email
    attempt: int
    error: str = ""
    recovered: bool = False
