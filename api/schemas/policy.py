"""A merchant's saved return policy and its versions."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from domain.policy import ReturnPolicy


class PolicyOut(BaseModel):
    version: int
    created_at: datetime
    policy: ReturnPolicy


class PolicyVersionOut(BaseModel):
    version: int
    created_at: datetime


class PolicyVersions(BaseModel):
    data: list[PolicyVersionOut]
    next_cursor: str | None = Field(None, description="always null: every version is on the one page")
