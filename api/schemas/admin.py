"""The platform operator's admin API (`/v1/admin/...`): merchants and their keys. A key is in a body once."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from domain.merchant import ApiKeyScope
from domain.validation import MAX_DAYS, text


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: ApiKeyScope
    expires_in_days: int | None = Field(default=None, ge=1, le=MAX_DAYS, description="unset: never expires")
    name: text(128, 1) | None = Field(default=None, description="what the key is for")


class KeyOut(BaseModel):
    """A key as listed: its prefix names it; the key itself is never shown again."""

    id: int
    prefix: str
    scope: str
    name: str | None
    created_at: datetime
    last_used_at: datetime | None = Field(description="to the minute: written at most once a minute")
    expires_at: datetime | None
    revoked_at: datetime | None


class KeyCreated(KeyOut):
    key: str = Field(description="shown only in this answer: store it now")


class Keys(BaseModel):
    data: list[KeyOut]
    next_cursor: str | None = None


class MerchantOut(BaseModel):
    id: str
    slug: str | None
    name: str
    country: str | None
    currency: str | None
    locale: str | None
    timezone: str | None
    created_at: datetime


class Merchants(BaseModel):
    data: list[MerchantOut]
    next_cursor: str | None = None


class MerchantCreated(BaseModel):
    """The same shape as `returnflow merchants create --json`: one key per scope, shown only here."""

    merchant_id: str
    slug: str
    keys: dict[str, str]
