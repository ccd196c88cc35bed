"""A facility confirming a transferred item arrived."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, model_validator

from api.schemas.common import Strict
from domain.validation import Id, ReturnId, TrackingCode


class FacilityReceiptIn(Strict):
    """A facility confirms a transferred item arrived: by the transfer's tracking code, or by return and line."""

    tracking_code: TrackingCode | None = None
    return_id: ReturnId | None = None
    line_id: Id | None = None

    @model_validator(mode="after")
    def _one(self) -> FacilityReceiptIn:
        if (self.tracking_code is None) == (self.return_id is None and self.line_id is None):
            raise ValueError("give either tracking_code, or return_id and line_id")
        if self.tracking_code is None and (self.return_id is None or self.line_id is None):
            raise ValueError("return_id and line_id go together")
        return self


class FacilityReceiptOut(BaseModel):
    status: Literal["accepted"] = "accepted"
    facility_id: str
    return_id: str
    line_id: str
    tracking_code: str | None
