"""What ops reads and resolves: the attention list."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from domain.validation import text


class AttentionOut(BaseModel):
    id: int
    kind: str
    return_id: str | None
    line_id: str | None
    reason: str
    created_at: datetime


class ResolveIn(BaseModel):
    note: text(2000) = ""
