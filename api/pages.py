"""The one list envelope: `{"data": [...], "next_cursor": ...}`, and its opaque keyset cursor."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from api.errors import ApiError

T = TypeVar("T")
R = TypeVar("R")

CursorQuery = Annotated[
    str | None, Query(max_length=200, description="`next_cursor` of the page before; leave out for the first page")
]
_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


class Page(BaseModel, Generic[T]):
    data: list[T]
    next_cursor: str | None = Field(
        None, description="pass as `cursor` for the next page; null when this page is the last"
    )


def encode_cursor(at: datetime, key: object) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{key}".encode()).decode()


def decode_cursor(cursor: str | None, key_type: type = str) -> tuple[datetime, Any] | None:
    """What encode_cursor made (its key as `key_type`: the id column's type), or a 400 `invalid_cursor`."""
    if cursor is None:
        return None
    try:
        raw = base64.b64decode(cursor.encode("ascii"), altchars=b"-_", validate=True).decode("utf-8")
        at, sep, key = raw.partition("|")
        when = datetime.fromisoformat(at)
        if not sep or when.tzinfo is None or not _KEY.fullmatch(key):
            raise ValueError("not a cursor")
        return when, key_type(key)
    except ValueError as err:
        raise ApiError(400, "invalid_cursor", "cursor is not one this API returned") from err


def page(rows: Sequence[R], limit: int, key: Callable[[R], tuple[datetime, object]]) -> tuple[list[R], str | None]:
    """(the first `limit` rows, the cursor after them if the query found more: it was asked for limit + 1)."""
    shown = list(rows[:limit])
    return shown, encode_cursor(*key(shown[-1])) if len(rows) > limit else None
