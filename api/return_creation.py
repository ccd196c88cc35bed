"""The steps of `POST /v1/returns`, named, so the handler reads as the sequence it is.

Idempotency: a request with an Idempotency-Key gets an id derived from it, so a retry finds its
first answer (the same body) or a 409 (another body); units are reserved before the workflow is
started, and freed again only when the workflow surely never started.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import Response
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from api import return_photos
from api.address_check import verify_shopper_address
from api.assessment import Assessment, assess
from api.deps import Db
from api.errors import ApiError
from api.exchange_check import exchange_order
from api.merchant_accounts import easypost_account_of
from api.metrics import count_created
from api.returns_gateway import ReturnsGateway, SubmitRefused
from api.schemas.returns import ReturnCreate, ReturnOut
from db import return_units
from db.return_choices import record_choices
from db.returns import get_return, keep_accepted
from db.stores import store_of
from domain.requests import RequestedItem
from domain.shopper_locale import choose_language
from domain.status import ReturnStatus
from settings import Settings
from workflows import ids
from workflows.messages import ExchangeOrder, ItemView, PickupWindow, ReturnInput, ReturnView


def request_fingerprint(body: ReturnCreate) -> str:
    return hashlib.sha256(json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


def new_return_id(merchant_id: str, idempotency_key: str | None) -> str:
    """Derived from the key, so a retry names the same return; random without one."""
    return ids.new_return_id() if idempotency_key is None else ids.requested_return_id(merchant_id, idempotency_key)


@dataclass(frozen=True)
class NewReturn:
    """One create request: who asks, for what, and the id its return gets."""

    merchant_id: str
    body: ReturnCreate
    idempotency_key: str | None
    fingerprint: str
    return_id: str

    @classmethod
    def of(cls, merchant_id: str, body: ReturnCreate, idempotency_key: str | None) -> NewReturn:
        return cls(
            merchant_id, body, idempotency_key, request_fingerprint(body), new_return_id(merchant_id, idempotency_key)
        )


async def already_created(db: Db, new: NewReturn) -> ReturnOut | None:
    """The first answer to a retried request; 409 when its key came with another body."""
    row = await db.run(get_return, new.merchant_id, new.return_id)
    if row is None:
        return None
    if row.request_fingerprint != new.fingerprint:
        raise ApiError(409, "idempotency_conflict", "this Idempotency-Key was already used with a different request")
    if row.version == 0:  # what a 202 kept: still being answered, so the workflow is asked again
        return None
    return ReturnOut.of(row)


async def refuse_unknown_store(db: Db, merchant_id: str, body: ReturnCreate) -> None:
    """A return handed in at a store names one of the merchant's stores (the same 422 for anyone else's id)."""
    if body.store_id is not None and await db.run(store_of, merchant_id, body.store_id) is None:
        raise ApiError(422, "unknown_store", f"store_id {body.store_id!r} is not one of your stores", field="store_id")


def refuse_unless_eligible(found: Assessment) -> None:
    if not found.quote.eligible:
        raise ApiError(422, "not_eligible", " ".join(found.quote.reasons), reasons=found.quote.reasons)


async def reserve_units(db: Db, new: NewReturn, found: Assessment) -> bool:
    """Hold the return's units (422 if another return holds them); False if a retry held them already."""
    body = new.body
    quantities = {l["id"]: l["quantity"] for l in found.order.lines}
    items = [RequestedItem(line_id=i.line_id, quantity=i.quantity) for i in body.items]
    try:
        problems, created = await run_in_threadpool(
            return_units.reserve,
            db.engine,
            new.merchant_id,
            body.order_id,
            new.return_id,
            quantities,
            items,
            fingerprint=new.fingerprint,
        )
    except return_units.IdempotencyConflict as err:  # the same key sent with another body, maybe at the same moment
        raise ApiError(
            409, "idempotency_conflict", "this Idempotency-Key was already used with a different request"
        ) from err
    if problems:
        raise ApiError(
            422, "invalid_items", "; ".join(p.message for p in problems), details=[p.model_dump() for p in problems]
        )
    return created


async def release_unless_started(db: Db, workflows: ReturnsGateway, return_id: str, merchant_id: str) -> None:
    """A return whose workflow surely never started (Temporal unreachable, no worker) holds no units.
    When unsure the units stay held: a retry with the same Idempotency-Key finds them its own. Its photos too."""
    if await workflows.surely_not_started(return_id):
        await run_in_threadpool(return_units.release_in, db.engine, return_id)
        await return_photos.release(db, merchant_id, return_id)


def workflow_input(
    new: NewReturn, found: Assessment, exchange: ExchangeOrder | None, settings: Settings
) -> ReturnInput:
    body = new.body
    return ReturnInput(
        return_id=new.return_id,
        merchant_id=new.merchant_id,
        context=found.context,
        lines=found.lines,
        resolution=body.resolution,
        policy=found.policy,
        policy_version=found.policy_version,
        requested_at=found.at,
        label_expiry_days=found.merchant.label_expiry_days,
        inspection_sla_hours=settings.inspection_sla_hours,
        transfer_timeout_days=settings.transfer_timeout_days,
        exchange=exchange,
        pickup=PickupWindow(**body.pickup.model_dump()) if body.pickup else None,
        request_fingerprint=new.fingerprint,
        send_method=body.chosen_send_method(),
        store_id=body.store_id,
    )


def requested_view(inp: ReturnInput) -> ReturnView:
    """The return before its workflow has written anything: what a 202 answers, and keeps readable."""
    return ReturnView(
        return_id=inp.return_id,
        merchant_id=inp.merchant_id,
        order_id=inp.context.order.order_id,
        status=ReturnStatus.REQUESTED,
        resolution=inp.resolution,
        items=[ItemView(line_id=l.line_id, sku=l.sku, quantity=l.quantity, reason=l.reason) for l in inp.lines],
        request_fingerprint=inp.request_fingerprint,
        policy_version=inp.policy_version,
        created_at=inp.requested_at,
        updated_at=inp.requested_at,
        label_expiry_days=inp.label_expiry_days,
    )


async def accepted(db: Db, inp: ReturnInput) -> ReturnOut:
    """The 202 answer: the return exists and goes on once a worker is back; readable meanwhile (db.keep_accepted),
    unless its workflow wrote it first."""
    view = requested_view(inp)
    try:
        await db.run(keep_accepted, view.row_fields())
    except IntegrityError:
        pass  # the workflow's own first write came in between: it is the newer one
    return ReturnOut.from_view(view)


async def start(
    db: Db,
    workflows: ReturnsGateway,
    settings: Settings,
    new: NewReturn,
    found: Assessment,
    exchange: ExchangeOrder | None,
    response: Response,
) -> ReturnOut:
    """Start the workflow and answer with the return: 201 with its label, or 202 if workers are slow."""
    inp = workflow_input(new, found, exchange, settings)
    try:
        view = await workflows.submit_return(inp, new.body.order_id, timedelta(seconds=settings.submit_timeout_seconds))
    except SubmitRefused as err:
        if new.idempotency_key and (done := await already_created(db, new)):
            return done
        raise ApiError(409, "idempotency_conflict", "this Idempotency-Key belongs to another request") from err
    if view is None:
        response.status_code = 202
        return count_created(await accepted(db, inp))
    return count_created(ReturnOut.from_view(view))


async def record_shopper_choices(db: Db, new: NewReturn, found: Assessment) -> None:
    """The language and send method, before the workflow starts, so its first email already speaks it."""
    body = new.body
    language = body.language or choose_language(None, None, None, found.merchant.locale)
    await db.run(record_choices, new.merchant_id, new.return_id, language, body.chosen_send_method(), body.store_id)


async def create(
    db: Db,
    workflows: ReturnsGateway,
    settings: Settings,
    merchant_id: str,
    body: ReturnCreate,
    idempotency_key: str | None,
    response: Response,
) -> ReturnOut:
    """`POST /v1/returns` and the shopper portal's confirm step: one path, one policy, one workflow."""
    new = NewReturn.of(merchant_id, body, idempotency_key)
    if idempotency_key and (done := await already_created(db, new)):
        return done

    await refuse_unknown_store(db, new.merchant_id, body)
    found = await assess(db, new.merchant_id, body, datetime.now(UTC), new.return_id)
    refuse_unless_eligible(found)
    carrier_account = await easypost_account_of(db, settings, new.merchant_id)  # its own, where it set a key
    await verify_shopper_address(carrier_account, found)  # unverifiable: 422 naming the field, nothing started
    exchange = await exchange_order(db, new.merchant_id, body, found, settings)

    # The units first, atomically: of concurrent creates for the same unit exactly one gets it.
    reserved = await reserve_units(db, new, found)
    try:
        await return_photos.attach(db, merchant_id, body.order_id, new.return_id, return_photos.photos_by_line(body))
        await record_shopper_choices(db, new, found)
        return await start(db, workflows, settings, new, found, exchange, response)
    except BaseException:
        if reserved:
            await release_unless_started(db, workflows, new.return_id, merchant_id)
        raise
