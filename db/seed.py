"""The demo merchant `make run` starts with: one warehouse and its two API keys.

Idempotent: run on every start; keys are (re)set to the configured values.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import select

from db.onboarding import STARTER_WAREHOUSE_ADDRESS, STARTER_WAREHOUSE_ID
from db.session import session_scope
from db.tables import ApiKey, FacilityRecord, Merchant, PolicyVersion
from domain.facilities import FacilityRegistry

DEMO_MERCHANT_ID = "demo"
DEMO_WAREHOUSE_ID = STARTER_WAREHOUSE_ID
DEMO_WAREHOUSE_ADDRESS = {
    **STARTER_WAREHOUSE_ADDRESS,
    "name": "Returnflow Demo Returns Centre",
    "company": "Demo Shop B.V.",
}


def ensure_key(session, merchant_id: str, scope: str, key: str) -> None:
    digest = ApiKey.hash(key)
    if session.exec(select(ApiKey).where(ApiKey.key_hash == digest)).first() is None:
        session.add(ApiKey(merchant_id=merchant_id, scope=scope, key_hash=digest, key_prefix=key[:12]))


def seed_merchant(
    engine: Engine,
    *,
    merchant_id: str,
    name: str,
    merchant_key: str,
    warehouse_key: str,
    ops_key: str | None = None,
    policy: dict | None = None,
    facilities: dict | None = None,
    return_window_days: int = 30,
    label_expiry_days: int = 30,
    warehouse_id: str = DEMO_WAREHOUSE_ID,
    warehouse_address: dict | None = None,
) -> None:
    with session_scope(engine) as session:
        merchant = session.get(Merchant, merchant_id) or Merchant(
            id=merchant_id,
            name=name,
            warehouse_id=warehouse_id,
            warehouse_address=warehouse_address or DEMO_WAREHOUSE_ADDRESS,
        )
        if (
            merchant.slug is None
            and session.exec(select(Merchant.id).where(Merchant.slug == merchant_id)).first() is None
        ):
            merchant.slug = merchant_id  # `returnflow keys create --merchant demo` finds it
        merchant.return_window_days = return_window_days
        merchant.label_expiry_days = label_expiry_days
        session.add(merchant)
        session.flush()
        ensure_key(session, merchant_id, "merchant", merchant_key)
        ensure_key(session, merchant_id, "warehouse", warehouse_key)
        if ops_key:
            ensure_key(session, merchant_id, "ops", ops_key)
        has_policy = session.exec(select(PolicyVersion).where(PolicyVersion.merchant_id == merchant_id)).first()
        if policy is not None and has_policy is None:
            session.add(PolicyVersion(merchant_id=merchant_id, version=1, document=policy))
        has_facilities = session.exec(select(FacilityRecord).where(FacilityRecord.merchant_id == merchant_id)).first()
        if facilities is not None and has_facilities is None:
            for facility in FacilityRegistry.model_validate(facilities).facilities:
                session.add(
                    FacilityRecord(merchant_id=merchant_id, id=facility.id, document=facility.model_dump(mode="json"))
                )
