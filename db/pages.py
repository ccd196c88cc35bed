"""Keyset pages: a list ordered by (time, id) continues after the last row a page showed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_


def after_row(query: Any, at: Any, key: Any, after: tuple[datetime, Any] | None, newest_first: bool) -> Any:
    """`query` limited to the rows after `after` (the last row's (time, id), the id in its column's type)
    in the order (time, id), descending when `newest_first`."""
    if after is None:
        return query
    when, last = after
    if newest_first:
        return query.where(or_(at < when, and_(at == when, key < last)))
    return query.where(or_(at > when, and_(at == when, key > last)))
