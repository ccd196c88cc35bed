"""Merchant endpoints for returns: create, read, list, cancel, timeline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import ValidationError

from api import return_photos
from api.assessment import assess
from api.deps import DbDep, Owner, Reader, SettingsDep
from api.errors import ApiError
from api.return_creation import create
from api.return_search import NoControl, ReturnSearch, search
from api.returns_gateway import ReturnsGatewayDep
from api.schemas.common import ReturnPathId
from api.schemas.returns import (
    CancelIn,
    PickupWindowIn,
    ReturnCreate,
    ReturnList,
    ReturnOut,
    ShopperChoicesOut,
    Timeline,
    TimelineEntryOut,
    Tracking,
    TrackingEventOut,
)
from db import returns
from db.carrier_events import carrier_events
from db.return_choices import choices_of
from db.tables import ReturnRecord
from domain.policy import Quote
from domain.returns import ReturnReason
from domain.status import ReturnStatus
from domain.validation import ID_PATTERN, MAX_ID_LENGTH
from workflows.messages import CancelPickup, CancelRequest, PickupWindow

router = APIRouter(prefix="/v1/returns", tags=["merchant: returns"])


IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255)]


@router.post("/quote", response_model=Quote)
async def quote_return(body: ReturnCreate, principal: Reader, db: DbDep) -> Quote:
    """What the policy says about this return, item by item; changes nothing."""
    return (await assess(db, principal.merchant_id, body, datetime.now(UTC))).quote


@router.post("", status_code=201, response_model=ReturnOut)
async def create_return(
    body: ReturnCreate,
    principal: Owner,
    db: DbDep,
    workflows: ReturnsGatewayDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ReturnOut:
    """Create a return. 201 with its label; 202 if workers are slow (it goes on; retry with the same key to read it)."""
    created = await create(db, workflows, settings, principal.merchant_id, body, idempotency_key, response)
    return await _with_choices(
        db, principal.merchant_id, await return_photos.with_photo_ids(db, principal.merchant_id, created)
    )


@router.get("", response_model=ReturnList)
async def list_returns(
    principal: Reader,
    db: DbDep,
    request: Request,
    status: ReturnStatus | None = None,
    order_id: Annotated[str | None, Query(min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN)] = None,
    tracking_code: Annotated[
        str | None,
        Query(min_length=1, max_length=64, pattern=ID_PATTERN, description="of any of the return's parcels"),
    ] = None,
    sku: Annotated[str | None, Query(min_length=1, max_length=128, pattern=NoControl)] = None,
    reason: ReturnReason | None = None,
    needs_attention: Annotated[bool | None, Query(description="has an open attention item")] = None,
    created_from: Annotated[datetime | None, Query(description="inclusive; with a UTC offset")] = None,
    created_to: Annotated[datetime | None, Query(description="exclusive; with a UTC offset")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> ReturnList:
    """The merchant's returns, newest first, narrowed by every filter given (combined); a cursor
    continues only the listing (same filters) that returned it. By the shopper's email: `POST /v1/returns/search`."""
    if "email" in request.query_params:  # never silently ignored: the caller would read every return as a match
        raise ApiError(400, "email_in_url", "filter by the shopper's email with POST /v1/returns/search: "
                       "customer data stays out of URLs")  # fmt: skip
    asked = dict(status=status, order_id=order_id, tracking_code=tracking_code, sku=sku, reason=reason)
    asked |= dict(needs_attention=needs_attention, created_from=created_from, created_to=created_to)
    try:
        query = ReturnSearch(**asked, limit=limit, cursor=cursor)
    except ValidationError as err:  # the query's own checks ran first; these are the body's, kept in step
        raise ApiError(422, "invalid_query", str(err.errors()[0]["msg"])) from err
    return await search(db, principal.merchant_id, query)


@router.post("/search", response_model=ReturnList)
async def search_returns(body: ReturnSearch, principal: Reader, db: DbDep) -> ReturnList:
    """`GET /v1/returns`' filters in a body, and also by the shopper's email (which must not be in a URL)."""
    return await search(db, principal.merchant_id, body)


async def _owned(db: DbDep, merchant_id: str, return_id: str) -> ReturnRecord:
    row = await db.run(returns.get_return, merchant_id, return_id)
    if row is None:
        raise ApiError(404, "return_not_found", f"return {return_id!r} not found")
    return row


@router.get("/{return_id}", response_model=ReturnOut)
async def get_return(return_id: ReturnPathId, principal: Reader, db: DbDep) -> ReturnOut:
    out = ReturnOut.of(await _owned(db, principal.merchant_id, return_id))
    return await _with_choices(
        db, principal.merchant_id, await return_photos.with_photo_ids(db, principal.merchant_id, out)
    )


async def _with_choices(db, merchant_id: str, out: ReturnOut) -> ReturnOut:
    """The shopper's language and send method beside the return (`return_choices`)."""
    choice = await db.run(choices_of, merchant_id, out.id)
    if choice is not None:
        out.shopper = ShopperChoicesOut(
            language=choice.language, send_method=choice.send_method, store_id=choice.store_id
        )
    return out


@router.get("/{return_id}/timeline", response_model=Timeline)
async def get_timeline(return_id: ReturnPathId, principal: Reader, db: DbDep) -> Timeline:
    await _owned(db, principal.merchant_id, return_id)
    rows = await db.run(returns.timeline, return_id)
    return Timeline(return_id=return_id, data=[TimelineEntryOut.of(r) for r in rows])


@router.get("/{return_id}/tracking", response_model=Tracking)
async def get_tracking(return_id: ReturnPathId, principal: Reader, db: DbDep) -> Tracking:
    """Every carrier event received for the return, with the carrier's tracking details, oldest first."""
    await _owned(db, principal.merchant_id, return_id)
    rows = await db.run(carrier_events, return_id)
    events = []
    for row in rows:
        result = (row.payload or {}).get("result") or {}
        events.append(
            TrackingEventOut(
                event_id=row.event_id,
                description=row.description,
                status=row.tracking_status,
                status_detail=result.get("status_detail"),
                received_at=row.received_at,
                signalled=row.signalled,
                tracking_details=[d for d in result.get("tracking_details") or [] if isinstance(d, dict)],
            )
        )
    return Tracking(return_id=return_id, data=events)


@router.post("/{return_id}/pickup", response_model=ReturnOut)
async def schedule_pickup(
    return_id: ReturnPathId, body: PickupWindowIn, principal: Owner, db: DbDep, workflows: ReturnsGatewayDep
) -> ReturnOut:
    """Book a carrier pickup at the shopper's address (cheapest pickup rate), until the carrier has the parcel.
    If the carrier calls it off or misses it, the return says so and the shopper drops the parcel off instead.
    A return books at most 3 pickups (domain.carrier.MOST_PICKUPS_PER_RETURN, the first one and the rebookings after
    a cancel); past that: 409 `too_many_pickups` (the parcel is dropped off with its label or QR code)."""
    row = await _owned(db, principal.merchant_id, return_id)
    view = await workflows.schedule_pickup(return_id, PickupWindow(**body.model_dump()), row.status)
    return ReturnOut.from_view(view)


@router.post("/{return_id}/pickup/cancel", response_model=ReturnOut)
async def cancel_pickup(
    return_id: ReturnPathId,
    principal: Owner,
    db: DbDep,
    workflows: ReturnsGatewayDep,
    body: CancelIn | None = None,
) -> ReturnOut:
    row = await _owned(db, principal.merchant_id, return_id)
    view = await workflows.cancel_pickup(return_id, CancelPickup(reason=(body or CancelIn()).reason), row.status)
    return ReturnOut.from_view(view)


@router.post("/{return_id}/cancel", response_model=ReturnOut)
async def cancel_return(
    return_id: ReturnPathId,
    principal: Owner,
    db: DbDep,
    workflows: ReturnsGatewayDep,
    body: CancelIn | None = None,
) -> ReturnOut:
    row = await _owned(db, principal.merchant_id, return_id)
    status = ReturnStatus(row.status)
    if not status.is_cancellable:
        raise ApiError(
            409, "wrong_state", f"the return is {status.value}; it can be cancelled only until the carrier scans it"
        )
    view = await workflows.cancel(return_id, CancelRequest(reason=(body or CancelIn()).reason), status.value)
    return ReturnOut.from_view(view)
