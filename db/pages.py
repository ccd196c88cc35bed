"""Keyset pages: a list ordered by (time, id) continues after the last row a page showed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_


def after_row(query: Any, at: Any, key: Any, after: tuple[datetime, str] | None, newest_first: bool) -> Any:
    """`query` limited to the rows after `after` (the last row's (time, id)) in the order (time, id),
    descending when `newest_first`. The id is compared in its column's type (an int id arrives as text)."""
    if after is None:
        return query
    when, last = after
    last_key: Any = int(last) if key.type.python_type is int else last
    if newest_first:
        return query.where(or_(at < when, and_(at == when, key < last_key)))
    return query.where(or_(at > when, and_(at == when, key > last_key)))
