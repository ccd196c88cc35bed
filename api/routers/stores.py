"""The merchant's stores: a shopper hands a return in at the counter, the staff scan its code with a store key.

No label was bought for such a return; the store's receipt is its arrival (the workflow moves it to
`received`, with the store as where it is) and the rest is the usual path: inspection, settlement,
the items routed on from the store.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from sqlmodel import Session

from api.deps import DbDep, Reader, StoreClerk
from api.errors import ApiError
from api.pages import Page
from api.returns_gateway import ReturnsGatewayDep
from api.schemas.common import PathId
from api.schemas.stores import StoreItemOut, StoreReceiptIn, StoreReceiptOut
from db.stores import Scanned, scanned_at_store, store_of, stores_of
from domain.facilities import Facility
from domain.status import ReturnStatus
from workflows.messages import StoreReceipt

router = APIRouter(prefix="/v1/stores", tags=["stores"])


@router.get("", response_model=Page[Facility])
async def list_stores(principal: Reader, db: DbDep) -> Page[Facility]:
    """The merchant's stores (facilities of kind `store`, kept with `PUT /v1/facilities`): where shoppers can
    hand a return in, with address and opening hours, by id. Answered whole (`next_cursor` is always null)."""
    return Page[Facility](data=await db.run(stores_of, principal.merchant_id))


@router.post("/{facility_id}/receipts", response_model=StoreReceiptOut)
async def receive(
    facility_id: PathId, body: StoreReceiptIn, principal: StoreClerk, db: DbDep, workflows: ReturnsGatewayDep
) -> StoreReceiptOut:
    """A shopper hands a return in at this store: answers once the return is received here.

    Scanning it again at the same store answers the same (one receipt, one timeline line); at another store it is
    a 409 `received_elsewhere` naming the store that has it (`store_id`). A return sent any other way (a label,
    QR drop-off, pickup) is a 409; a return may be handed in at any of the merchant's stores, not only the one the
    shopper chose (the timeline says both). A store key tied to one store (`returnflow keys create --scope store
    --store <id>`) receives only there: 403 `wrong_store` at any other; a store key without a store (older keys)
    receives at any of the merchant's stores.
    """
    if principal.store_id is not None and principal.store_id != facility_id:
        raise ApiError(
            403,
            "wrong_store",
            f"this key receives returns at store {principal.store_id} only",
            store_id=principal.store_id,
        )

    def look(session: Session) -> tuple[Facility | None, Scanned | None]:
        return store_of(session, principal.merchant_id, facility_id), scanned_at_store(
            session, principal.merchant_id, body.code
        )

    store, scanned = await db.run(look)
    if store is None:
        raise ApiError(404, "store_not_found", f"no store {facility_id!r} among your facilities")
    if scanned is None:
        raise ApiError(404, "return_not_found", "no return of yours has that code")
    row = scanned.row
    if scanned.choices is None or scanned.choices.send_method != "store":
        raise ApiError(
            409,
            "not_sent_to_a_store",
            f"return {row.id} is not to be handed in at a store: it goes back with its label",
            return_status=row.status,
        )
    if scanned.handed_in:  # a second scan: the same answer at the store that has it, nothing sent
        return StoreReceiptOut(
            return_id=row.id,
            order_id=row.order_id,
            status=ReturnStatus(row.status),
            store_id=_the_one_that_has_it(row.id, scanned.received_at or facility_id, facility_id),
            items=[StoreItemOut.model_validate(i) for i in row.items or []],  # the projected items (extra keys dropped)
        )
    receipt = StoreReceipt(store_id=facility_id, received_at=datetime.now(UTC), scanned_by=principal.key_prefix)
    # Every scan of a return goes under one update id: a scan racing another store's gets that store's receipt.
    view = await workflows.receive_at_store(row.id, receipt, row.status)
    return StoreReceiptOut(
        return_id=view.return_id,
        order_id=view.order_id,
        status=view.status,
        store_id=_the_one_that_has_it(view.return_id, view.received_at_facility or facility_id, facility_id),
        items=[StoreItemOut(line_id=i.line_id, sku=i.sku, quantity=i.quantity) for i in view.items],
    )


def _the_one_that_has_it(return_id: str, received_at: str, scanning: str) -> str:
    """The store that received the return, when it is the scanning one; another store has it: 409."""
    if received_at != scanning:
        raise ApiError(
            409,
            "received_elsewhere",
            f"return {return_id} was handed in at store {received_at}, not here",
            store_id=received_at,
        )
    return received_at
