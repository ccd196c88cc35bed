"""The shopper's choices beside a return (language, send method): written once at creation, read by many."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from db.tables import ReturnChoice

SEND_METHODS = ("label", "qr", "pickup", "store")


def record_choices(
    session: Session, merchant_id: str, return_id: str, language: str, send_method: str, store_id: str | None = None
) -> ReturnChoice:
    """Insert-or-keep: a retried create (same return id) keeps the first answer's choices."""
    found = choices_of(session, merchant_id, return_id)
    if found is not None:
        return found
    row = ReturnChoice(
        return_id=return_id, merchant_id=merchant_id, language=language, send_method=send_method, store_id=store_id
    )
    try:
        with session.begin_nested():
            session.add(row)
        session.commit()
    except IntegrityError:
        session.rollback()
        found = choices_of(session, merchant_id, return_id)
        assert found is not None
        return found
    return row


def choices_of(session: Session, merchant_id: str, return_id: str) -> ReturnChoice | None:
    return session.exec(
        select(ReturnChoice).where(ReturnChoice.merchant_id == merchant_id, ReturnChoice.return_id == return_id)
    ).first()
