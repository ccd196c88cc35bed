"""A merchant's own row (settings it saves through the API) and its API keys (webhooks: db/webhook_endpoints.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from db.tables import ApiKey, Merchant

# How stale a key's last_used_at may get: one write a minute per key at most, not one per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def active_api_key(session: Session, key_hash: str, now: datetime) -> ApiKey | None:
    """The unrevoked, unexpired key with this hash: who is calling, and with which scope."""
    return session.exec(
        select(ApiKey).where(
            ApiKey.key_hash == key_hash,
            col(ApiKey.revoked_at).is_(None),
            col(ApiKey.expires_at).is_(None) | (col(ApiKey.expires_at) > now),
        )
    ).first()


def authenticate(session: Session, key_hash: str, now: datetime) -> ApiKey | None:
    """The caller's active key, its last use recorded when the one on record is a minute old or more."""
    key = active_api_key(session, key_hash, now)
    if key is not None:
        note_use(session, key, now)
    return key


def note_use(session: Session, key: ApiKey, now: datetime) -> bool:
    """Set last_used_at to `now` unless it was set less than a minute ago; True when this call wrote it.

    The UPDATE's WHERE holds the value read, so of two requests that both read a stale value only
    the first to write changes the row; the other matches nothing."""
    seen = key.last_used_at
    if seen is not None and now - seen < LAST_USED_RESOLUTION:
        return False
    unchanged = col(ApiKey.last_used_at).is_(None) if seen is None else col(ApiKey.last_used_at) == seen
    written = session.exec(update(ApiKey).where(col(ApiKey.id) == key.id, unchanged).values(last_used_at=now))
    return written.rowcount == 1


def get_merchant(session: Session, merchant_id: str) -> Merchant | None:
    return session.get(Merchant, merchant_id)


def save_shopper_settings(session: Session, merchant_id: str, values: dict) -> Merchant | None:
    """Replace what a shopper sees of the merchant (the columns named in `values`); None: no such merchant."""
    merchant = session.get(Merchant, merchant_id)
    if merchant is None:
        return None
    for name, value in values.items():
        setattr(merchant, name, value)
    session.add(merchant)
    return merchant


def save_label_rules(session: Session, merchant_id: str, rules: dict) -> bool:
    """Replace the merchant's label rules; False when the merchant no longer exists."""
    merchant = session.get(Merchant, merchant_id)
    if merchant is None:
        return False
    merchant.label_rules = rules
    session.add(merchant)
    return True
