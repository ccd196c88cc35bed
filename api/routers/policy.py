"""A merchant's return policy: validated, and versioned on every save."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from api.deps import DbDep, Owner, Reader
from api.errors import ApiError
from api.schemas.policy import PolicyOut, PolicyVersionOut, PolicyVersions
from db.policies import current_policy, policy_version, policy_versions, save_policy
from db.tables import PolicyVersion
from domain.policy import ReturnPolicy

router = APIRouter(prefix="/v1/policy", tags=["merchant: policy"])


def _out(row: PolicyVersion) -> PolicyOut:
    return PolicyOut(version=row.version, created_at=row.created_at, policy=ReturnPolicy.model_validate(row.document))


@router.put("", response_model=PolicyOut, status_code=201)
async def put_policy(body: ReturnPolicy, principal: Owner, db: DbDep) -> PolicyOut:
    """Save a new version. Returns created from now on use it; open returns keep theirs."""
    try:
        body.check_new_version()  # flat amounts name their currency (422 naming `currency`)
    except ValidationError as err:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in err.errors()]) from err
    for _ in range(3):  # two saves at once both want version N+1: the loser takes N+2
        try:
            return _out(await db.run(save_policy, principal.merchant_id, body.model_dump(mode="json")))
        except IntegrityError:
            continue
    raise ApiError(409, "concurrent_update", "the policy is being changed by another request; retry")


@router.get("", response_model=PolicyOut)
async def get_policy(principal: Reader, db: DbDep) -> PolicyOut:
    row = await db.run(current_policy, principal.merchant_id)
    if row is None:
        raise ApiError(404, "policy_not_found", "no policy saved yet; returns use the default policy")
    return _out(row)


@router.get("/versions", response_model=PolicyVersions)
async def list_versions(principal: Reader, db: DbDep) -> PolicyVersions:
    rows = await db.run(policy_versions, principal.merchant_id)
    return PolicyVersions(data=[PolicyVersionOut(version=r.version, created_at=r.created_at) for r in rows])


@router.get("/versions/{version}", response_model=PolicyOut)
async def get_version(version: Annotated[int, Path(ge=1, le=2**31 - 1)], principal: Reader, db: DbDep) -> PolicyOut:
    """That version's document as it was saved, so a return's policy can be read as it was (the return's
    `policy_version`)."""
    row = await db.run(policy_version, principal.merchant_id, version)
    if row is None:
        raise ApiError(404, "policy_version_not_found", f"policy version {version} not found")
    return _out(row)
