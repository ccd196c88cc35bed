"""Merchants and what they tell us: keys, orders, policies, facilities, rules, catalog, webhooks."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from db.tables.columns import dt_column, json_column
from db.types import utcnow


class Merchant(SQLModel, table=True):
    __tablename__ = "merchants"

    id: str = Field(primary_key=True, max_length=64)
    name: str
    return_window_days: int = 30
    label_expiry_days: int = 30
    # Where return parcels go (EasyPost address fields); the Spine has one warehouse per merchant.
    warehouse_id: str = Field(max_length=64)
    warehouse_address: dict | None = json_column(nullable=False)
    # Where settlement events go (signed with the secret); unset: no merchant webhooks.
    webhook_url: str | None = Field(default=None, max_length=2000)
    webhook_secret: str | None = Field(default=None, max_length=128)
    # How the return label is chosen (domain.labels.LabelRules); unset: the cheapest rate.
    label_rules: dict | None = json_column(nullable=True)
    created_at: datetime = dt_column(nullable=False, default=utcnow)
    # Who the merchant is to the platform operator (the CLI and the admin API address it by slug).
    slug: str | None = Field(default=None, unique=True, index=True, max_length=64)
    country: str | None = Field(default=None, max_length=2)
    currency: str | None = Field(default=None, max_length=3)
    # What a shopper sees (GET/PUT /v1/merchant); unset: the name, English, UTC, every reason.
    display_name: str | None = Field(default=None, max_length=128)
    support_email: str | None = Field(default=None, max_length=254)
    logo_url: str | None = Field(default=None, max_length=2000)
    brand_color: str | None = Field(default=None, max_length=7)
    locale: str | None = Field(default=None, max_length=8)
    timezone: str | None = Field(default=None, max_length=64)
    return_reasons: list | None = json_column(nullable=True)
    # The shopper emails it switched off (domain.notifications.MailKind values; GET/PUT /v1/merchant/notifications).
    mail_off: list | None = json_column(nullable=True)


class MerchantCredentials(SQLModel, table=True):
    """The merchant's own EasyPost and Stripe keys, Fernet-encrypted (db/credentials.py); a key unset:
    the platform's is used. Never loaded with the merchant, never answered by the API (only the last 4)."""

    __tablename__ = "merchant_credentials"

    merchant_id: str = Field(primary_key=True, foreign_key="merchants.id", max_length=64)
    easypost_api_key: str | None = Field(default=None, max_length=1000)  # Fernet token
    easypost_last4: str | None = Field(default=None, max_length=4)
    stripe_secret_key: str | None = Field(default=None, max_length=1000)  # Fernet token
    stripe_last4: str | None = Field(default=None, max_length=4)
    updated_at: datetime = dt_column(nullable=False, default=utcnow)


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    merchant_id: str = Field(foreign_key="merchants.id", index=True, max_length=64)
    scope: str = Field(max_length=16)  # merchant | warehouse | ops | read
    key_hash: str = Field(unique=True, max_length=64)  # sha256 hex; keys are random, so no salt needed
    key_prefix: str = Field(index=True, max_length=16)  # shown in logs and lists instead of the key; revokes by it
    name: str | None = Field(default=None, max_length=128)  # what the key is for, as its creator said
    created_at: datetime = dt_column(nullable=False, default=utcnow)
    revoked_at: datetime | None = dt_column(nullable=True)
    expires_at: datetime | None = dt_column(nullable=True)
    # Written at most once a minute per key (db.merchants.authenticate), not on every request.
    last_used_at: datetime | None = dt_column(nullable=True)
    # A store key tied to one store (facility id): it receives returns only there. None: any of the merchant's.
    facility_id: str | None = Field(default=None, max_length=128)

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class Order(SQLModel, table=True):
    __tablename__ = "orders"

    merchant_id: str = Field(primary_key=True, foreign_key="merchants.id", max_length=64)
    id: str = Field(primary_key=True, max_length=128)
    placed_at: datetime = dt_column(nullable=False)
    delivered_at: datetime | None = dt_column(nullable=True)
    currency: str = Field(max_length=3)
    customer: dict | None = json_column(nullable=False)
    lines: list | None = json_column(nullable=False)
    payment: dict | None = json_column(nullable=True)
    updated_at: datetime = dt_column(nullable=False, default=utcnow)


class PolicyVersion(SQLModel, table=True):
    """Every save of a merchant's return policy is a new, immutable version."""

    __tablename__ = "policy_versions"

    merchant_id: str = Field(primary_key=True, foreign_key="merchants.id", max_length=64)
    version: int = Field(primary_key=True)
    document: dict | None = json_column(nullable=False)
    created_at: datetime = dt_column(nullable=False, default=utcnow)


class FacilityRecord(SQLModel, table=True):
    """A merchant's facility (warehouse, refurbisher, recycler, ...); the document is domain.facilities.Facility."""

    __tablename__ = "facilities"

    merchant_id: str = Field(primary_key=True, foreign_key="merchants.id", max_length=64)
    id: str = Field(primary_key=True, max_length=128)
    document: dict | None = json_column(nullable=False)
    updated_at: datetime = dt_column(nullable=False, default=utcnow)


class DispositionPolicyRecord(SQLModel, table=True):
    """A merchant's disposition rules (domain.disposition.DispositionPolicy); none saved: the defaults."""

    __tablename__ = "disposition_policies"

    merchant_id: str = Field(primary_key=True, foreign_key="merchants.id", max_length=64)
    document: dict | None = json_column(nullable=False)
    updated_at: datetime = dt_column(nullable=False, default=utcnow)


class CatalogVariant(SQLModel, table=True):
    """A sellable variant (domain.exchange.Variant): what a shopper may exchange for."""

    __tablename__ = "catalog_variants"

    merchant_id: str = Field(primary_key=True, foreign_key="merchants.id", max_length=64)
    sku: str = Field(primary_key=True, max_length=128)
    document: dict | None = json_column(nullable=False)
    updated_at: datetime = dt_column(nullable=False, default=utcnow)


class WebhookDelivery(SQLModel, table=True):
    """One attempt to deliver one merchant webhook event: the delivery log merchants read."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_merchant_at", "merchant_id", "attempted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    merchant_id: str = Field(foreign_key="merchants.id", max_length=64)
    event_id: str = Field(index=True, max_length=200)
    event_type: str = Field(max_length=64)
    return_id: str | None = Field(default=None, max_length=64)
    url: str = Field(max_length=2000)
    attempt: int
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=500)
    delivered: bool = False
    attempted_at: datetime = dt_column(nullable=False, default=utcnow)
    # Attempts made by the outbox (rows before it have none): the endpoint, the delivery, how long it took.
    endpoint_id: str | None = Field(default=None, max_length=64)
    delivery_id: int | None = Field(default=None, index=True)
    latency_ms: int | None = None
