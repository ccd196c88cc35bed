"""Finding returns: the filters of `GET /v1/returns` and `POST /v1/returns/search`, checked once.

The shopper's email is a filter of the POST only: customer data stays out of URLs (and so out of
access logs, proxies and browser histories), as everywhere in this API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from api.deps import DbDep
from api.errors import ApiError
from api.schemas.returns import ReturnList, ReturnOut
from db import returns
from domain.returns import ReturnReason
from domain.status import ReturnStatus
from domain.validation import EARLIEST, ID_PATTERN, LATEST, MAX_ID_LENGTH

NoControl = r"^[^\x00-\x1f\x7f-\x9f]+$"  # one line of text: no NUL, CR, LF or other control characters
Email = Annotated[str, Field(min_length=3, max_length=254, pattern=r"^[^\s@]+@[^\s@]+$")]


class ReturnSearch(BaseModel):
    """Every filter optional, all combined; newest first."""

    model_config = ConfigDict(extra="forbid")

    status: ReturnStatus | None = None
    order_id: Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN)] | None = None
    email: Email | None = Field(default=None, description="the order's shopper: exact, any case")
    tracking_code: Annotated[str, Field(min_length=1, max_length=64, pattern=ID_PATTERN)] | None = Field(
        default=None, description="of any of the return's parcels"
    )
    sku: Annotated[str, Field(min_length=1, max_length=128, pattern=NoControl)] | None = None
    reason: ReturnReason | None = None
    needs_attention: bool | None = Field(default=None, description="has an open attention item")
    created_from: datetime | None = Field(default=None, description="inclusive; with a UTC offset")
    created_to: datetime | None = Field(default=None, description="exclusive; with a UTC offset")
    limit: int = Field(default=20, ge=1, le=100)
    # Whether it is a cursor this API made is decode_cursor's answer (400 invalid_cursor, not a 422).
    cursor: str | None = Field(default=None, max_length=300, pattern=r"^\S+$")

    def filters(self) -> returns.ReturnFilters:
        for name, when in (("created_from", self.created_from), ("created_to", self.created_to)):
            if when is not None and (when.tzinfo is None or when.utcoffset() is None):
                raise ApiError(422, "invalid_query", f"{name} needs a UTC offset (e.g. 2026-01-31T00:00:00Z)")
            if when is not None and not EARLIEST <= when < LATEST:
                raise ApiError(422, "invalid_query", f"{name} is out of range")
        if self.created_from and self.created_to and self.created_from > self.created_to:
            raise ApiError(422, "invalid_query", "created_from is after created_to")
        return returns.ReturnFilters(
            status=self.status.value if self.status else None,
            order_id=self.order_id,
            email=self.email,
            tracking_code=self.tracking_code,
            sku=self.sku,
            reason=self.reason.value if self.reason else None,
            needs_attention=self.needs_attention,
            created_from=self.created_from,
            created_to=self.created_to,
        )


async def search(db: DbDep, merchant_id: str, search: ReturnSearch) -> ReturnList:
    """One page of the merchant's returns; a cursor continues only the listing (same filters) that returned it."""
    filters = search.filters()
    try:
        after = returns.decode_cursor(search.cursor, filters) if search.cursor else None
    except ValueError as err:
        raise ApiError(400, "invalid_cursor", "cursor is not one this API returned for these filters") from err
    rows = await db.run(returns.list_returns, merchant_id, filters, search.limit + 1, after)
    page, more = rows[: search.limit], len(rows) > search.limit
    return ReturnList(
        data=[ReturnOut.of(r) for r in page], next_cursor=returns.encode_cursor(page[-1], filters) if more else None
    )
