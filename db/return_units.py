"""Which units of an order's lines are held by a return: the one home of "quantity left to return".

A unit of an order line is in at most one open or completed return. The API reserves a
return's units (one `return_units` row per unit, in one transaction) before its workflow
starts; the primary key (merchant, order, line, unit) makes two concurrent creates for the
same unit impossible on SQLite and PostgreSQL alike: the loser's insert fails, it reads again
and finds the unit taken. Units come free again when the return ends cancelled, rejected or
expired (the projection deletes them) or when its workflow never started (the API does).

One return id is one request: the rows carry the request's fingerprint, and a reservation for a
return id that already holds units under another fingerprint (the same Idempotency-Key with
another body) raises `IdempotencyConflict` instead of passing for a retry. Exactly one row of each
reservation carries the return id in the unique `claim` column, so two such requests at the same
moment (which may want different units, even of different orders) never both commit: the loser
reads again and finds the winner's fingerprint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import and_, delete, func, or_
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from db.session import session_scope
from db.tables import ReturnUnit
from domain.requests import RequestedItem, RequestProblem, check_request
from domain.status import ReturnStatus

RELEASING = frozenset({ReturnStatus.CANCELLED, ReturnStatus.REJECTED, ReturnStatus.EXPIRED})
MAX_ATTEMPTS = 25  # each failed attempt means another return took units meanwhile


class IdempotencyConflict(Exception):
    """The return id already holds units for a different request (same Idempotency-Key, other body)."""


def held_quantities(
    session: Session, merchant_id: str, order_id: str, except_return: str | None = None
) -> dict[str, int]:
    """Units per order line held by open or completed returns (other than `except_return`)."""
    q = select(ReturnUnit.line_id, func.count()).where(
        ReturnUnit.merchant_id == merchant_id, ReturnUnit.order_id == order_id
    )
    if except_return is not None:
        q = q.where(ReturnUnit.return_id != except_return)
    return {line: n for line, n in session.exec(q.group_by(ReturnUnit.line_id)).all()}


def _try_reserve(
    session: Session,
    merchant_id: str,
    order_id: str,
    return_id: str,
    order_quantities: Mapping[str, int],
    items: Sequence[RequestedItem],
    fingerprint: str,
) -> tuple[list[RequestProblem], bool]:
    # One read of the order's held units and of this return id's own (any order's): counts, free unit
    # numbers and "is this a retry" agree with each other.
    q = select(ReturnUnit.line_id, ReturnUnit.unit, ReturnUnit.return_id, ReturnUnit.request_fingerprint).where(
        or_(
            and_(ReturnUnit.merchant_id == merchant_id, ReturnUnit.order_id == order_id),
            ReturnUnit.return_id == return_id,
        )
    )
    rows = session.exec(q).all()
    own = [fp for _, _, holder, fp in rows if holder == return_id]
    if own:  # a retry of the same request, or the same Idempotency-Key with another body
        if any(fp is not None and fp != fingerprint for fp in own):
            raise IdempotencyConflict(return_id)
        return [], False
    taken: dict[str, set[int]] = {}  # every row read is the order's now: none is this return's
    for line_id, unit, _, _ in rows:
        taken.setdefault(line_id, set()).add(unit)
    held = {line_id: len(units) for line_id, units in taken.items()}
    problems = check_request(order_quantities, items, held)
    if problems:
        return problems, False
    claim: str | None = return_id  # on the first row only
    for item in items:  # free >= bought - held >= quantity: check_request saw to that
        line_taken = taken.get(item.line_id, set())
        bought = order_quantities[item.line_id]
        free = [u for u in range(1, bought + 1) if u not in line_taken][: item.quantity]
        for unit in free:
            session.add(
                ReturnUnit(
                    merchant_id=merchant_id,
                    order_id=order_id,
                    line_id=item.line_id,
                    unit=unit,
                    return_id=return_id,
                    request_fingerprint=fingerprint,
                    claim=claim,
                )
            )
            claim = None
    session.flush()
    return [], True


def reserve(
    engine: Engine,
    merchant_id: str,
    order_id: str,
    return_id: str,
    order_quantities: Mapping[str, int],
    items: Sequence[RequestedItem],
    *,
    fingerprint: str,
) -> tuple[list[RequestProblem], bool]:
    """Reserve the requested units for `return_id` (the request `fingerprint`), all or none, in one transaction.

    Returns (problems, created): problems name the items with too few units left (nothing is
    reserved then); created is False when the return already held its units (a retry of the same
    request). Raises IdempotencyConflict when it holds them for another request.
    """
    for _ in range(MAX_ATTEMPTS):
        try:
            with session_scope(engine) as session:
                return _try_reserve(session, merchant_id, order_id, return_id, order_quantities, items, fingerprint)
        except IntegrityError:
            continue  # another return took one of these units, or this return id, first: read again
    lines = ", ".join(repr(i.line_id) for i in items)
    busy = f"units of line(s) {lines} were being returned at the same moment; retry"
    return [RequestProblem(field="items", message=busy)], False


def release(session: Session, return_id: str) -> int:
    """Free every unit the return holds (idempotent); the number freed."""
    result = session.execute(delete(ReturnUnit).where(col(ReturnUnit.return_id) == return_id))
    return result.rowcount or 0


def release_in(engine: Engine, return_id: str) -> int:
    with session_scope(engine) as session:
        return release(session, return_id)
