"""The platform operator's API: put merchants on and hand out, list and revoke their keys (what the
`returnflow` CLI does, over HTTP, through the same db/onboarding.py).

Behind RETURNFLOW_ADMIN_KEY as a bearer token, compared in constant time. Unset, every route here answers
404 like an unknown path, so a deployment without an operator key shows no admin surface. Kept out of the
OpenAPI document: merchants read that one, and nothing here is theirs.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from api.deps import DbDep, SettingsDep, bearer_is
from api.errors import ApiError
from api.schemas.admin import KeyCreated, KeyIn, KeyOut, Keys, MerchantCreated, MerchantOut, Merchants
from db.onboarding import (
    OnboardingError,
    create_key,
    create_merchant,
    find_merchant,
    list_keys,
    list_merchants,
    revoke_key_by_id,
)
from db.tables import ApiKey
from db.types import utcnow
from domain.merchant import MerchantProfile
from domain.validation import Id


def _operator(request: Request, settings: SettingsDep) -> None:
    expected = settings.admin_key.get_secret_value()
    if not expected:
        raise ApiError(404, "not_found", "Not Found")
    if not bearer_is(request, expected):
        raise ApiError(401, "unauthorized", "send the admin key as 'Authorization: Bearer <key>'")


router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[Depends(_operator)], include_in_schema=False)
MerchantRef = Annotated[str, Id, Path(description="the merchant's id or slug")]


def key_out(row: ApiKey) -> KeyOut:
    return KeyOut(
        id=row.id,
        prefix=row.key_prefix,
        scope=row.scope,
        name=row.name,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


async def _merchant_id(db: DbDep, ref: str) -> str:
    merchant = await db.run(find_merchant, ref)
    if merchant is None:
        raise ApiError(404, "merchant_not_found", f"no merchant {ref!r}")
    return merchant.id


@router.post("/merchants", status_code=201, response_model=MerchantCreated)
async def create(body: MerchantProfile, db: DbDep, settings: SettingsDep) -> MerchantCreated:
    """A merchant with the example policy and facilities, the default rules, and one key per scope."""
    try:
        made = await db.run(lambda s: create_merchant(s, body, test_mode=bool(settings.test_mode), now=utcnow()))
    except OnboardingError as err:
        raise ApiError(409, "slug_taken", str(err)) from err
    keys = {scope: new.key for scope, new in made.keys.items()}
    return MerchantCreated(merchant_id=made.merchant.id, slug=made.merchant.slug, keys=keys)


@router.get("/merchants", response_model=Merchants)
async def merchants(db: DbDep) -> Merchants:
    rows = await db.run(list_merchants)
    return Merchants(data=[MerchantOut.model_validate(r, from_attributes=True) for r in rows])


@router.post("/merchants/{merchant}/keys", status_code=201, response_model=KeyCreated)
async def new_key(merchant: MerchantRef, body: KeyIn, db: DbDep, settings: SettingsDep) -> KeyCreated:
    merchant_id = await _merchant_id(db, merchant)
    try:
        made = await db.run(
            lambda s: create_key(
                s,
                merchant_id,
                body.scope,
                test_mode=bool(settings.test_mode),
                now=utcnow(),
                expires_in_days=body.expires_in_days,
                name=body.name,
            )
        )
    except OnboardingError as err:  # the merchant went between the look-up and the insert
        raise ApiError(404, "merchant_not_found", str(err)) from err
    return KeyCreated(**key_out(made.row).model_dump(), key=made.key)


@router.get("/merchants/{merchant}/keys", response_model=Keys)
async def keys(merchant: MerchantRef, db: DbDep) -> Keys:
    merchant_id = await _merchant_id(db, merchant)
    return Keys(data=[key_out(r) for r in await db.run(list_keys, merchant_id)])


@router.delete("/merchants/{merchant}/keys/{key_id}", response_model=KeyOut)
async def revoke(merchant: MerchantRef, key_id: Annotated[int, Path(ge=1, le=2**31 - 1)], db: DbDep) -> KeyOut:
    """Revoke the key: it answers 401 from now on. Revoking it again changes nothing."""
    merchant_id = await _merchant_id(db, merchant)
    row = await db.run(lambda s: revoke_key_by_id(s, merchant_id, key_id, now=utcnow()))
    if row is None:
        raise ApiError(404, "key_not_found", f"merchant {merchant!r} has no key {key_id}")
    return key_out(row)
