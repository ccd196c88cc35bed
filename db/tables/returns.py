"""The returns read model the workflow projects into, and what the API records about returns."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from db.tables.columns import dt_column, json_column
from db.types import utcnow


class ReturnRecord(SQLModel, table=True):
    __tablename__ = "returns"
    __table_args__ = (
        Index("ix_returns_merchant_status_created", "merchant_id", "status", "created_at"),
        Index("ix_returns_merchant_created_id", "merchant_id", "created_at", "id"),  # the list's order, whole
        Index("ix_returns_merchant_order_created", "merchant_id", "order_id", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=64)
    merchant_id: str = Field(foreign_key="merchants.id", max_length=64)
    order_id: str = Field(max_length=128, index=True)
    status: str = Field(max_length=32)
    resolution: str = Field(max_length=32)
    items: list | None = json_column(nullable=False)
    label: dict | None = json_column(nullable=True)
    refund: dict | None = json_column(nullable=True)
    exchange: dict | None = json_column(nullable=True)  # replacements shipped for an exchange
    parcels: list | None = json_column(nullable=True)  # every parcel's label when a return needs several
    decision_reasons: list | None = json_column(nullable=True)
    request_fingerprint: str = Field(max_length=64)
    policy_version: int | None = None
    tracking_code: str | None = Field(default=None, index=True, max_length=64)
    tracker_id: str | None = Field(default=None, index=True, max_length=64)
    version: int = 0  # the workflow's timeline sequence; older writes never overwrite newer ones
    created_at: datetime = dt_column(nullable=False)
    updated_at: datetime = dt_column(nullable=False)


class ReturnParcel(SQLModel, table=True):
    """Each parcel's tracking code, so carrier events and dock scans of any parcel find their return."""

    __tablename__ = "return_parcels"

    tracking_code: str = Field(primary_key=True, max_length=64)
    merchant_id: str = Field(max_length=64)
    return_id: str = Field(index=True, max_length=64)
    parcel: int
    tracker_id: str | None = Field(default=None, index=True, max_length=64)


class ReturnLine(SQLModel, table=True):
    """Each returned line's sku and reason, so GET /v1/returns finds returns by them with an index
    (the items themselves stay in the return's JSON). Written with the return's first projection."""

    __tablename__ = "return_lines"
    __table_args__ = (
        Index("ix_return_lines_merchant_sku_created", "merchant_id", "sku", "created_at", "return_id"),
        Index("ix_return_lines_merchant_reason_created", "merchant_id", "reason", "created_at", "return_id"),
    )

    return_id: str = Field(primary_key=True, foreign_key="returns.id", max_length=64)
    line_id: str = Field(primary_key=True, max_length=128)
    merchant_id: str = Field(max_length=64)
    sku: str = Field(max_length=128)
    reason: str = Field(max_length=64)
    created_at: datetime = dt_column(nullable=False)


class TimelineRecord(SQLModel, table=True):
    __tablename__ = "return_timeline"

    return_id: str = Field(primary_key=True, foreign_key="returns.id", max_length=64)
    seq: int = Field(primary_key=True)
    at: datetime = dt_column(nullable=False)
    status: str = Field(max_length=32)
    event: str = Field(max_length=64)
    cause: str


class ReturnChoice(SQLModel, table=True):
    """What the shopper chose beside the return itself: the language they read it in and how they send it.

    Written by the API when it creates the return (the portal and `POST /v1/returns` alike), before the
    workflow starts; read by the emails, the packing slip and the portal page. One row per return.
    """

    __tablename__ = "return_choices"

    return_id: str = Field(primary_key=True, max_length=64)
    merchant_id: str = Field(max_length=64, index=True)
    language: str = Field(max_length=8)  # one of domain.shopper_locale.LANGUAGES
    send_method: str = Field(max_length=16)  # label, qr, pickup, store
    store_id: str | None = Field(default=None, max_length=128)  # send_method store: the merchant's facility id
    created_at: datetime = dt_column(nullable=False, default=utcnow)


class ReturnUnit(SQLModel, table=True):
    """One unit of an order line held by a return: at most one open or completed return per unit.

    Inserted by the API in one transaction before the return's workflow starts (the primary key
    is the unique constraint that makes concurrent creates safe, `claim` the one that makes one
    return id one request); deleted when the return ends
    cancelled, rejected or expired. Completed returns keep theirs.
    """

    __tablename__ = "return_units"

    merchant_id: str = Field(primary_key=True, max_length=64)
    order_id: str = Field(primary_key=True, max_length=128)
    line_id: str = Field(primary_key=True, max_length=128)
    unit: int = Field(primary_key=True)  # 1..the line's quantity
    return_id: str = Field(index=True, max_length=64)
    created_at: datetime = dt_column(nullable=False, default=utcnow)
    # The create request that reserved it (sha256 of its body; NULL only for rows from before 0010):
    # the same Idempotency-Key with another body is a conflict, not a retry.
    request_fingerprint: str | None = Field(default=None, max_length=64)
    # The return's id on exactly one of its rows, NULL on the others: unique, so two reservations for
    # one return id (the same Idempotency-Key sent twice at once) never both commit, whatever units.
    claim: str | None = Field(default=None, unique=True, index=True, max_length=64)


class AttentionItem(SQLModel, table=True):
    """Something a person must look at (an item nowhere to go, an overdue inspection, ...)."""

    __tablename__ = "attention_items"
    __table_args__ = (
        UniqueConstraint("merchant_id", "key"),
        Index("ix_attention_merchant_at", "merchant_id", "created_at"),
        # The open items of a return (GET /v1/returns?needs_attention=...); partial: only unresolved rows.
        Index(
            "ix_attention_open_return",
            "merchant_id",
            "return_id",
            postgresql_where=text("resolved_at IS NULL"),
            sqlite_where=text("resolved_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    merchant_id: str = Field(max_length=64)
    key: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    return_id: str | None = Field(default=None, max_length=64)
    line_id: str | None = Field(default=None, max_length=64)
    reason: str
    created_at: datetime = dt_column(nullable=False, default=utcnow)
    resolved_at: datetime | None = dt_column(nullable=True)
    resolved_by: str | None = Field(default=None, max_length=200)


class UnidentifiedParcel(SQLModel, table=True):
    """A parcel scanned at a dock that matches no return: kept for ops, never dropped."""

    __tablename__ = "unidentified_parcels"

    id: str = Field(primary_key=True, max_length=64)
    merchant_id: str = Field(index=True, max_length=64)
    facility_id: str | None = Field(default=None, max_length=128)
    tracking_code: str | None = Field(default=None, max_length=64)
    rma_code: str | None = Field(default=None, max_length=100)
    return_id: str | None = Field(default=None, max_length=64)
    notes: str = ""
    received_at: datetime = dt_column(nullable=False, default=utcnow)


class EmailSent(SQLModel, table=True):
    """Mail sent to a shopper, once per key (its Message-ID's left part, e.g. label-<return>-<tracking>)."""

    __tablename__ = "emails_sent"

    key: str = Field(primary_key=True, max_length=200)
    return_id: str = Field(index=True, max_length=64)
    to: str = Field(max_length=320)  # the address it went to (RFC 5321's longest)
    sent_at: datetime = dt_column(nullable=False, default=utcnow)


class ReturnPhoto(SQLModel, table=True):
    """A shopper's photo of an item they return: uploaded for one line of one order before the return exists,
    claimed by the return created with it (return_id set once, never moved to another return).

    Written by the API (the portal's upload, `POST /v1/orders/{id}/photos`, the create's attach step); the bytes
    are in the photo store (api/photo_store.py) under `storage_key`, already without metadata.
    """

    __tablename__ = "return_photos"
    __table_args__ = (
        Index("ix_return_photos_merchant_order_line", "merchant_id", "order_id", "line_id"),
        # One photo per slot among those no return holds: the limit of 5 per line, kept by the database (0016).
        Index(
            "ux_return_photos_unclaimed_slot",
            "merchant_id",
            "order_id",
            "line_id",
            "uploader",
            "slot",
            unique=True,
            postgresql_where=text("return_id IS NULL"),
            sqlite_where=text("return_id IS NULL"),
        ),
    )

    id: str = Field(primary_key=True, max_length=64)  # ph_ + 24 hex: chosen by the server, never guessable
    merchant_id: str = Field(max_length=64)
    order_id: str = Field(max_length=128)
    line_id: str = Field(max_length=128)
    # Who uploaded it: "portal" (any session of the order: the shopper) or "api" (the merchant): 5 per line each.
    uploader: str = Field(max_length=64)
    slot: int | None = None  # 1..5 while unclaimed (NULL: given back by a return that never started)
    return_id: str | None = Field(default=None, max_length=64, index=True)
    content_type: str = Field(max_length=32)  # as stored: image/jpeg or image/png
    size: int  # bytes, as stored
    storage_key: str = Field(max_length=300)
    created_at: datetime = dt_column(nullable=False, default=utcnow)
