"""A merchant's own row (settings it saves through the API), its API keys, and its webhook deliveries."""

from __future__ import annotations

import secrets

from sqlmodel import Session, col, select

from db.tables import ApiKey, Merchant, WebhookDelivery


def active_api_key(session: Session, key_hash: str) -> ApiKey | None:
    """The unrevoked key with this hash: who is calling, and with which scope."""
    return session.exec(select(ApiKey).where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))).first()


def get_merchant(session: Session, merchant_id: str) -> Merchant | None:
    return session.get(Merchant, merchant_id)


def save_label_rules(session: Session, merchant_id: str, rules: dict) -> bool:
    """Replace the merchant's label rules; False when the merchant no longer exists."""
    merchant = session.get(Merchant, merchant_id)
    if merchant is None:
        return False
    merchant.label_rules = rules
    session.add(merchant)
    return True


def new_webhook_endpoint(session: Session, merchant_id: str, url: str) -> Merchant:
    """Point the merchant's settlement events at `url`, with a new signing secret (each time)."""
    merchant = session.get(Merchant, merchant_id)
    merchant.webhook_url = url
    merchant.webhook_secret = "whsec_" + secrets.token_hex(24)
    session.add(merchant)
    return merchant


def webhook_deliveries(session: Session, merchant_id: str, event_id: str | None, limit: int) -> list[WebhookDelivery]:
    """Every attempt to deliver the merchant's settlement events, newest first."""
    q = select(WebhookDelivery).where(WebhookDelivery.merchant_id == merchant_id)
    if event_id:
        q = q.where(WebhookDelivery.event_id == event_id)
    return list(session.exec(q.order_by(col(WebhookDelivery.attempted_at).desc()).limit(limit)).all())
