"""Column helpers every table module uses: timezone-aware timestamps and JSON documents."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field

from db.types import UTCDateTime


def dt_column(**kw: Any) -> Any:
    return Field(sa_column=Column(UTCDateTime(), **kw))


def json_column(**kw: Any) -> Any:
    return Field(default=None, sa_column=Column(JSON, **kw))
