"""What a return's items show that the workflow learns only later: a transfer's tracking code is on the item
as soon as the transfer's label is bought (the transfer's `sent` step writes it to `item_routes`), not only when
the transfer completes. Both writers of the `returns` row (the projection, and that step) call
`show_transfer_codes` after their own write, with the row locked (PostgreSQL: FOR UPDATE; SQLite: the write lock
their write took), so whichever commits second sees the other's work."""

from __future__ import annotations

from sqlmodel import Session, col, select

from db.tables import ItemRouteRow, ReturnRecord


def with_transfer_codes(session: Session, merchant_id: str, return_id: str, items: list[dict]) -> list[dict]:
    """`items` (the projection's JSON), each in transfer showing its transfer's tracking code."""
    codes = dict(
        session.exec(
            select(ItemRouteRow.line_id, ItemRouteRow.transfer_tracking_code).where(
                ItemRouteRow.merchant_id == merchant_id,
                ItemRouteRow.return_id == return_id,
                col(ItemRouteRow.transfer_tracking_code).is_not(None),
            )
        ).all()
    )
    if not codes:
        return items
    return [
        {**i, "transfer_tracking_code": codes[i["line_id"]]}
        if i.get("transfer_tracking_code") is None and i.get("line_id") in codes
        else i
        for i in items
    ]


def show_transfer_codes(session: Session, return_id: str) -> None:
    """After a transfer's label is bought: the return's row shows it (locked as the projection locks it)."""
    row = session.get(ReturnRecord, return_id, with_for_update=True, populate_existing=True)
    if row is None:
        return
    items = with_transfer_codes(session, row.merchant_id, return_id, list(row.items or []))
    if items != row.items:
        row.items = items
        session.add(row)
