"""The warehouse's bodies: dock receipts, unidentified parcels, inspections."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AnyUrl,
    BaseModel,
    Field,
    UrlConstraints,
    model_validator,
)

from api.schemas.common import MoneyOut, Strict
from domain.disposition import DispositionKind
from domain.inspection import Finding
from domain.returns import Grade
from domain.status import ReturnStatus
from domain.validation import (
    Id,
    ReturnId,
    TrackingCode,
    text,
)


class ReceiptIn(Strict):
    """A dock scan: the carrier's tracking code, the return id, or the packing slip's RMA barcode."""

    tracking_code: TrackingCode | None = None
    return_id: ReturnId | None = None
    rma_code: text(100, 1) | None = None
    facility_id: Id | None = Field(default=None, description="where it was scanned; default: where the label sends it")
    notes: text(2000) = ""

    @model_validator(mode="after")
    def _one(self) -> ReceiptIn:
        if sum(v is not None for v in (self.tracking_code, self.return_id, self.rma_code)) != 1:
            raise ValueError("give exactly one of tracking_code, return_id or rma_code")
        return self


class UnidentifiedOut(BaseModel):
    """202 for a parcel that matches no return: recorded for ops (GET /v1/warehouse/unidentified)."""

    status: Literal["unidentified"] = "unidentified"
    parcel_id: str
    tracking_code: str | None = None
    rma_code: str | None = None
    return_id: str | None = None
    facility_id: str | None = None
    notes: str = ""
    received_at: datetime


# Photos are kept on the return and shown to every reader of it: https only, few, and bounded as stored.
PHOTOS_MAX = 20
PHOTO_URL_MAX = 2000


def _fits(url: AnyUrl) -> AnyUrl:
    """The limit holds for the URL as stored: normalising (a trailing slash, escapes) can lengthen it."""
    if len(str(url)) > PHOTO_URL_MAX:
        raise ValueError(f"the URL is longer than {PHOTO_URL_MAX} characters once normalised")
    return url


PhotoUrl = Annotated[AnyUrl, UrlConstraints(max_length=PHOTO_URL_MAX, allowed_schemes=["https"]), AfterValidator(_fits)]


class InspectedItemIn(Strict):
    line_id: Id
    grade: Grade | None = Field(default=None, description="required unless problem is missing")
    matches_reason: bool = Field(default=True, description="does the item confirm the shopper's stated reason?")
    problem: Literal["missing", "wrong_item"] | None = None
    notes: text(2000) = ""
    photo_urls: list[PhotoUrl] = Field(
        default_factory=list,
        max_length=PHOTOS_MAX,
        description=f"at most {PHOTOS_MAX}, https, each at most {PHOTO_URL_MAX} characters; shown on the return",
    )

    @model_validator(mode="after")
    def _graded(self) -> InspectedItemIn:
        if self.problem == "missing" and self.grade is not None:
            raise ValueError("a missing item has no grade")
        if self.problem != "missing" and self.grade is None:
            raise ValueError("grade is required unless problem is missing")
        return self


class InspectionIn(Strict):
    items: list[InspectedItemIn] = Field(min_length=1, max_length=500)
    inspector: text(200) = ""


class InspectedItemOut(BaseModel):
    line_id: str
    grade: Grade | None
    disposition: DispositionKind | None
    refund: MoneyOut
    recovery_value: MoneyOut
    findings: list[Finding]
    flagged: bool


class InspectionOut(BaseModel):
    return_id: str
    status: ReturnStatus
    items: list[InspectedItemOut]
    refund: MoneyOut
