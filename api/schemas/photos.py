"""A shopper's photo of a returned item, as the merchant and ops read it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from db.tables import ReturnPhoto


class PhotoOut(BaseModel):
    id: str
    line_id: str
    content_type: str = Field(description="as stored: image/jpeg or image/png (a HEIC upload is stored as JPEG)")
    size: int = Field(description="bytes, as stored (metadata removed)")
    created_at: datetime
    url: str | None = Field(
        default=None, description="the photo's bytes, relative to the API's address; null until a return has it"
    )

    @classmethod
    def of(cls, row: ReturnPhoto) -> PhotoOut:
        url = f"/v1/returns/{row.return_id}/photos/{row.id}" if row.return_id else None
        return cls(
            id=row.id,
            line_id=row.line_id,
            content_type=row.content_type,
            size=row.size,
            created_at=row.created_at,
            url=url,
        )


class PhotoList(BaseModel):
    data: list[PhotoOut]
    next_cursor: str | None = Field(
        None, description="always null: a return's photos are on one page (at most 5 an item)"
    )
