"""Who hears about a return: the merchant's webhook endpoints, the events waiting for them (an outbox
written in the projection's transaction), each event's delivery to each endpoint, and the shopper's
emails. domain/notifications.py says what a return's progress implies; these rows make it happen once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from db.tables.columns import dt_column, json_column
from db.types import utcnow


class WebhookEndpoint(SQLModel, table=True):
    """A merchant's endpoint: where events go, which ones (`events`, None: all), signed with `secret`; while a
    secret is rotated the previous one signs too until `previous_secret_until`."""

    __tablename__ = "webhook_endpoints"

    id: str = Field(primary_key=True, max_length=64)
    merchant_id: str = Field(foreign_key="merchants.id", index=True, max_length=64)
    url: str = Field(max_length=2000)
    description: str | None = Field(default=None, max_length=200)
    events: list | None = json_column(nullable=True)
    secret: str = Field(max_length=128)
    previous_secret: str | None = Field(default=None, max_length=128)
    previous_secret_until: datetime | None = dt_column(nullable=True)
    enabled: bool = True
    disabled_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = dt_column(nullable=False, default=utcnow)
    updated_at: datetime = dt_column(nullable=False, default=utcnow)


class MerchantEvent(SQLModel, table=True):
    """An event some endpoint wanted when it happened (none wanted it: no row). `seq` orders a return's
    events; `id` (workflows.ids.merchant_event_id of the return and the announcement's key) is what
    merchants de-duplicate by (the `webhook-id` header)."""

    __tablename__ = "merchant_events"

    seq: int | None = Field(default=None, primary_key=True)
    id: str = Field(unique=True, max_length=200)
    merchant_id: str = Field(index=True, max_length=64)
    return_id: str | None = Field(default=None, index=True, max_length=64)
    type: str = Field(max_length=64)
    payload: dict | None = json_column(nullable=False)  # the body's `data`
    created_at: datetime = dt_column(nullable=False, default=utcnow)


class EventDelivery(SQLModel, table=True):
    """One event to one endpoint: pending until it lands, retried with backoff, failed after the give-up
    period (the endpoint is then disabled). Each attempt is also a row of `webhook_deliveries` (the log)."""

    __tablename__ = "event_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        Index("ix_event_deliveries_due", "status", "next_attempt_at"),
        Index("ix_event_deliveries_merchant", "merchant_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_seq: int = Field(index=True)
    event_id: str = Field(max_length=200)
    endpoint_id: str = Field(index=True, max_length=64)
    merchant_id: str = Field(max_length=64)
    return_id: str | None = Field(default=None, max_length=64)
    status: str = Field(default="pending", max_length=16)  # pending | delivered | failed
    attempts: int = 0
    next_attempt_at: datetime = dt_column(nullable=False, default=utcnow)
    first_attempt_at: datetime | None = dt_column(nullable=True)
    last_status_code: int | None = None
    last_latency_ms: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    delivered_at: datetime | None = dt_column(nullable=True)
    created_at: datetime = dt_column(nullable=False, default=utcnow)


class ShopperEmail(SQLModel, table=True):
    """One email to a return's shopper, once per (return, key): pending (until `next_attempt_at`, a reminder's
    due time), sent, refused (a 5xx: no more mail for this return), suppressed (an earlier one was refused),
    withdrawn (a reminder the progress made pointless), failed (kept failing past the give-up period)."""

    __tablename__ = "shopper_emails"
    __table_args__ = (
        UniqueConstraint("return_id", "key"),
        Index("ix_shopper_emails_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    return_id: str = Field(index=True, max_length=64)
    merchant_id: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    key: str = Field(max_length=200)
    about: str | None = Field(default=None, max_length=200)
    status: str = Field(default="pending", max_length=16)
    scheduled: bool = False  # a reminder: waits for its time without holding back the return's later mail
    attempts: int = 0
    next_attempt_at: datetime = dt_column(nullable=False, default=utcnow)
    first_attempt_at: datetime | None = dt_column(nullable=True)  # the give-up period runs from here
    claimed_until: datetime | None = dt_column(nullable=True)  # a mailer is sending it: no other may until then
    message_id: str | None = Field(default=None, max_length=300)
    smtp_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    sent_at: datetime | None = dt_column(nullable=True)
    created_at: datetime = dt_column(nullable=False, default=utcnow)
