"""Putting a merchant on the platform and handing out its keys: the one home of what the `returnflow` CLI and
the admin API (`/v1/admin/...`) do, and of what a new merchant starts with (the demo seed uses it too).

A key is shown once, when it is made: only its sha256 is stored (keys are 160 random bits, so a fast
unsalted hash is enough; a slow one would cost every request and protect nothing more), with a readable
prefix (`rf_live_1a2b3c4d`) that names it in lists and revokes it.
"""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from db.stores import store_of
from db.tables import ApiKey, DispositionPolicyRecord, FacilityRecord, Merchant, PolicyVersion
from domain.disposition import DispositionPolicy
from domain.facilities import FacilityRegistry
from domain.facilities_example import example_facilities
from domain.labels import LabelRules
from domain.merchant import API_KEY_SCOPES, MerchantProfile
from domain.policy_example import example_policy
from domain.validation import MAX_DAYS
from workflows.ids import new_merchant_id

KEYS_AT_CREATION = ("merchant", "warehouse", "ops")  # one each, printed once by `merchants create`
PREFIX_LENGTH = 16  # "rf_live_" + 8 hex: readable, and unique enough to revoke by (checked when minted)
# Where a new merchant's parcels go until it saves its own facilities: the example warehouse's address.
STARTER_WAREHOUSE_ID = "wh_demo_nl"
STARTER_WAREHOUSE_ADDRESS = {
    "name": "Returns Centre",
    "company": "Demo Shop B.V.",
    "street1": "Hoofdweg 12",
    "city": "Amsterdam",
    "zip": "1058 AA",
    "country": "NL",
    "phone": "+31 20 555 0100",
}


class OnboardingError(ValueError):
    """A request the operator must change (a taken slug, an unknown merchant or key): its message says what."""


@dataclass(frozen=True)
class NewKey:
    row: ApiKey
    key: str  # the only time the key is known: show it, never store or log it


@dataclass
class NewMerchant:
    merchant: Merchant
    keys: dict[str, NewKey] = field(default_factory=dict)


def starter_policy(currency: str = "EUR") -> dict:
    """The example return policy; flat amounts where no market matches are in the merchant's currency."""
    return {**example_policy(), "currency": currency}


def starter_facilities() -> dict:
    return example_facilities()


def mint_key(test_mode: bool) -> str:
    return f"rf_{'test' if test_mode else 'live'}_{secrets.token_hex(20)}"


def find_merchant(session: Session, slug_or_id: str) -> Merchant | None:
    return session.exec(select(Merchant).where(col(Merchant.slug) == slug_or_id)).first() or session.get(
        Merchant, slug_or_id
    )


def list_merchants(session: Session, limit: int = 1000) -> list[Merchant]:
    return list(session.exec(select(Merchant).order_by(col(Merchant.created_at), col(Merchant.id)).limit(limit)).all())


def create_merchant(session: Session, profile: MerchantProfile, *, test_mode: bool, now: datetime) -> NewMerchant:
    """The merchant, with the example policy and facilities, the default disposition and label rules, and one
    key per scope of KEYS_AT_CREATION. A taken slug: OnboardingError (also when two creates race)."""
    if session.exec(select(Merchant.id).where(col(Merchant.slug) == profile.slug)).first() is not None:
        raise OnboardingError(f"the slug {profile.slug!r} is taken by another merchant")
    merchant = Merchant(
        id=new_merchant_id(),
        name=profile.name,
        slug=profile.slug,
        country=profile.country,
        currency=profile.currency,
        locale=profile.locale,
        timezone=profile.timezone,
        warehouse_id=STARTER_WAREHOUSE_ID,
        warehouse_address={**STARTER_WAREHOUSE_ADDRESS, "company": profile.name},
        label_rules=LabelRules().model_dump(mode="json"),
        created_at=now,
    )
    session.add(merchant)
    try:
        session.flush()
    except IntegrityError as err:  # the same slug committed between our check and this insert
        raise OnboardingError(f"the slug {profile.slug!r} is taken by another merchant") from err
    add_starter_documents(session, merchant.id, policy=starter_policy(profile.currency), now=now)
    created = NewMerchant(merchant=merchant)
    for scope in KEYS_AT_CREATION:
        created.keys[scope] = create_key(session, merchant.id, scope, test_mode=test_mode, now=now)
    return created


def add_starter_documents(
    session: Session, merchant_id: str, *, policy: dict | None, facilities: dict | None = None, now: datetime
) -> None:
    """Policy version 1, the facilities and the default disposition rules, each unless the merchant has its own."""
    if policy is not None and session.get(PolicyVersion, (merchant_id, 1)) is None:
        session.add(PolicyVersion(merchant_id=merchant_id, version=1, document=copy.deepcopy(policy), created_at=now))
    facilities = starter_facilities() if facilities is None else facilities
    if session.exec(select(FacilityRecord.id).where(FacilityRecord.merchant_id == merchant_id)).first() is None:
        for facility in FacilityRegistry.model_validate(facilities).facilities:
            session.add(
                FacilityRecord(merchant_id=merchant_id, id=facility.id, document=facility.model_dump(mode="json"))
            )
    if session.get(DispositionPolicyRecord, merchant_id) is None:
        session.add(
            DispositionPolicyRecord(merchant_id=merchant_id, document=DispositionPolicy().model_dump(mode="json"))
        )


def create_key(
    session: Session,
    merchant_id: str,
    scope: str,
    *,
    test_mode: bool,
    now: datetime,
    expires_in_days: int | None = None,
    name: str | None = None,
    store_id: str | None = None,
) -> NewKey:
    """A new key (shown once). `store_id`: a store key that receives returns only at that store of the merchant's."""
    if scope not in API_KEY_SCOPES:
        raise OnboardingError(f"unknown scope {scope!r}; one of {', '.join(API_KEY_SCOPES)}")
    if store_id is not None and scope != "store":
        raise OnboardingError(f"only a store key is tied to a store, not a {scope} key")
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_DAYS:
        raise OnboardingError(f"a key expires in 1 to {MAX_DAYS} days, not {expires_in_days}")
    if session.get(Merchant, merchant_id) is None:
        raise OnboardingError(f"no merchant {merchant_id!r}")
    if store_id is not None and store_of(session, merchant_id, store_id) is None:
        raise OnboardingError(f"no store {store_id!r} among the merchant's facilities")
    while True:  # a prefix names one key: a clash (1 in 4 billion per pair) draws again
        key = mint_key(test_mode)
        if session.exec(select(ApiKey.id).where(ApiKey.key_prefix == key[:PREFIX_LENGTH])).first() is None:
            break
    row = ApiKey(
        merchant_id=merchant_id,
        scope=scope,
        key_hash=ApiKey.hash(key),
        key_prefix=key[:PREFIX_LENGTH],
        name=name,
        facility_id=store_id,
        created_at=now,
        expires_at=None if expires_in_days is None else now + timedelta(days=expires_in_days),
    )
    session.add(row)
    session.flush()
    return NewKey(row=row, key=key)


def list_keys(session: Session, merchant_id: str) -> list[ApiKey]:
    """Every key of the merchant, revoked and expired ones too, oldest first."""
    return list(
        session.exec(
            select(ApiKey).where(ApiKey.merchant_id == merchant_id).order_by(col(ApiKey.created_at), col(ApiKey.id))
        ).all()
    )


def revoke_key(session: Session, prefix: str, *, now: datetime, merchant_id: str | None = None) -> ApiKey:
    """Revoke the one key with this prefix (of this merchant, when given); revoking twice keeps the first time."""
    q = select(ApiKey).where(ApiKey.key_prefix == prefix)
    if merchant_id is not None:
        q = q.where(ApiKey.merchant_id == merchant_id)
    found = list(session.exec(q.limit(2)).all())
    if not found:
        raise OnboardingError(f"no key with the prefix {prefix!r}")
    if len(found) > 1:
        raise OnboardingError(f"more than one key has the prefix {prefix!r}; revoke it by id over the admin API")
    key = found[0]
    if key.revoked_at is None:
        key.revoked_at = now
        session.add(key)
    return key


def revoke_key_by_id(session: Session, merchant_id: str, key_id: int, *, now: datetime) -> ApiKey | None:
    key = session.get(ApiKey, key_id)
    if key is None or key.merchant_id != merchant_id:
        return None
    if key.revoked_at is None:
        key.revoked_at = now
        session.add(key)
    return key
