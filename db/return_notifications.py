"""What a return's notifications became, for GET /v1/returns/{id}/notifications: its shopper emails and the
merchant events some endpoint wanted, each with its deliveries. Tenant-scoped: another merchant's return is None."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from db.returns import get_return
from db.tables import EventDelivery, MerchantEvent, ShopperEmail


@dataclass(frozen=True)
class ReturnNotifications:
    emails: list[ShopperEmail]
    events: list[tuple[MerchantEvent, list[EventDelivery]]]


def return_notifications(session: Session, merchant_id: str, return_id: str) -> ReturnNotifications | None:
    if get_return(session, merchant_id, return_id) is None:
        return None
    emails = session.exec(
        select(ShopperEmail)
        .where(ShopperEmail.merchant_id == merchant_id, ShopperEmail.return_id == return_id)
        .order_by(ShopperEmail.id)
    ).all()
    events = session.exec(
        select(MerchantEvent)
        .where(MerchantEvent.merchant_id == merchant_id, MerchantEvent.return_id == return_id)
        .order_by(MerchantEvent.seq)
    ).all()
    deliveries: dict[int, list[EventDelivery]] = {}
    if events:
        rows = session.exec(
            select(EventDelivery)
            .where(col(EventDelivery.event_seq).in_([e.seq for e in events]), EventDelivery.merchant_id == merchant_id)
            .order_by(EventDelivery.id)
        )
        for row in rows:
            deliveries.setdefault(row.event_seq, []).append(row)
    return ReturnNotifications(list(emails), [(e, deliveries.get(e.seq, [])) for e in events])
