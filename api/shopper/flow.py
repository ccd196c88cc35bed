"""The shopper's return being started: a draft carried from step to step in a signed hidden field.

The draft is never trusted: its signature (itsdangerous, keyed by `settings.portal_secret`) stops
tampering, and every step checks it again against the shopper's session (the same merchant and
order) and the order as it is now (its lines, the units still free to return). The draft's random
id becomes the return's Idempotency-Key, so a double submit or the back button finds the same return.
"""

from __future__ import annotations

import secrets
from typing import Any, Literal

from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.schemas.returns import PickupWindowIn, ReturnCreate
from domain.returns import Resolution, ReturnReason
from domain.validation import MAX_ITEMS, Id, Quantity, Sku, text

STEPS = ("items", "resolution", "send", "confirm")
SendMethod = Literal["label", "qr", "pickup", "store"]
_SALT = "portal-start-draft"
MAX_COMMENT = 2000


class DraftItem(BaseModel):
    """One item of the draft, in the API's own field types (api.schemas.returns.ReturnItemIn): a draft that
    validates is always a valid request, so no later step meets a value the API refuses."""

    model_config = ConfigDict(extra="forbid")

    line_id: Id
    quantity: Quantity
    reason: ReturnReason | None = None
    comment: text(MAX_COMMENT) = ""
    replacement_sku: Sku | None = None


class Draft(BaseModel):
    """What the shopper chose so far; `id` is random per started flow."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    merchant_id: str = Field(max_length=128)  # only compared with the session's, never sent on
    order_id: Id
    items: list[DraftItem] = Field(default_factory=list, max_length=MAX_ITEMS)
    resolution: Resolution | None = None
    send_method: SendMethod | None = None
    pickup_start: str | None = Field(default=None, max_length=40)  # the chosen window's start, ISO 8601 UTC
    store_id: Id | None = None

    @classmethod
    def new(cls, merchant_id: str, order_id: str) -> Draft:
        return cls(id=secrets.token_urlsafe(18), merchant_id=merchant_id, order_id=order_id)

    @property
    def idempotency_key(self) -> str:
        return f"portal-{self.id}"

    def item(self, line_id: str) -> DraftItem | None:
        return next((i for i in self.items if i.line_id == line_id), None)


class DraftRefused(Exception):
    """The draft is forged, damaged, or not this shopper's (another merchant or order)."""


class NoItems(DraftRefused):
    """A step past the first got a draft without items (the first page's draft, posted further by hand)."""


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=_SALT)


def seal(draft: Draft, secret: str) -> str:
    return _serializer(secret).dumps(draft.model_dump(mode="json", exclude_defaults=True))


def unseal(value: str | None, secret: str, merchant_id: str, order_id: str) -> Draft:
    """The draft in a form, only if we signed it and it belongs to the session's merchant and order."""
    if not value or len(value) > 60_000:
        raise DraftRefused("no draft")
    try:
        draft = Draft.model_validate(_serializer(secret).loads(value))
    except (BadSignature, ValidationError, TypeError, ValueError) as err:
        raise DraftRefused("the draft is not ours") from err
    if draft.merchant_id != merchant_id or draft.order_id != order_id:
        raise DraftRefused("the draft names another order")
    return draft


def check_items(draft: Draft, returnable: dict[str, int]) -> None:
    """Every item is a line of the session's order with at most the units still returnable (`line id -> units`)."""
    seen = set()
    for item in draft.items:
        if item.line_id not in returnable or item.line_id in seen:
            raise DraftRefused(f"line {item.line_id!r} is not a returnable line of this order")
        if item.quantity > returnable[item.line_id]:
            raise DraftRefused(f"more units of line {item.line_id!r} than are left to return")
        seen.add(item.line_id)


def _request(**fields: Any) -> ReturnCreate:
    """The request of a draft; one that does not validate is refused like a damaged draft, never a 500."""
    if not fields["items"]:
        raise NoItems("the draft has no items")
    try:
        return ReturnCreate.model_validate(fields)
    except ValidationError as err:
        raise DraftRefused("the draft is no valid request") from err


def quote_body(draft: Draft, resolution: Resolution | None = None, language: str | None = None) -> ReturnCreate:
    """The request as the policy sees it (items without a reason yet count as changed_mind)."""
    return _request(
        order_id=draft.order_id,
        items=[
            {
                "line_id": i.line_id,
                "quantity": i.quantity,
                "reason": i.reason or ReturnReason.CHANGED_MIND,
                "comment": i.comment,
            }
            for i in draft.items
        ],
        resolution=resolution or draft.resolution or Resolution.REFUND,
        language=language,
    )


def create_body(
    draft: Draft, language: str, pickup: PickupWindowIn | None, keep_items: bool, photos: dict[str, list[str]]
) -> ReturnCreate:
    """The return to create: what the shopper confirmed. Kept items need no send method; `photos`: line id ->
    the ids of the photos the shopper's session added for it (api.shopper.photos)."""
    resolution = draft.resolution or Resolution.REFUND
    items = []
    for i in draft.items:
        item = {
            "line_id": i.line_id,
            "quantity": i.quantity,
            "reason": i.reason or ReturnReason.CHANGED_MIND,
            "comment": i.comment,
        }
        if resolution == Resolution.EXCHANGE and i.replacement_sku:
            item["exchange"] = {"replacement_sku": i.replacement_sku}
        if photos.get(i.line_id):
            item["photo_ids"] = photos[i.line_id][:5]
        items.append(item)
    method = None if keep_items else draft.send_method
    return _request(
        order_id=draft.order_id,
        items=items,
        resolution=resolution,
        send_method=method,
        pickup=pickup if method == "pickup" else None,
        store_id=draft.store_id if method == "store" else None,
        language=language,
    )
