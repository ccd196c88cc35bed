"""What each step of starting a return reads from its form, merged into the draft.

Never trusting the form: values outside what the page offered are dropped (a reason the merchant does not list,
a send method we do not know) or refuse the draft (a quantity that is no number); the steps check the rest.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from api.shopper.flow import Draft, DraftItem, DraftRefused
from api.shopper.start_facts import Shop
from domain.returns import Resolution, ReturnReason

SEND_METHODS = ("label", "qr", "pickup", "store")


def _with(draft: Draft, **changes: Any) -> Draft:
    try:
        return Draft.model_validate({**draft.model_dump(), **changes})
    except ValidationError as err:
        raise DraftRefused("the form does not fit a draft") from err


def _text(form, name: str, limit: int = 200) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def read(step: str, form, draft: Draft, shop: Shop) -> Draft:
    """The draft with this step's form applied."""
    if step == "items":
        items = []
        for i, line in enumerate(shop.order.lines):
            raw = _text(form, f"qty_{i}") or "0"
            if not raw.isdigit() or len(raw) > 6:
                raise DraftRefused(f"quantity {raw!r}")
            if (quantity := int(raw)) == 0:
                continue
            reason = _text(form, f"reason_{i}")
            before = draft.item(line["id"])
            items.append(
                DraftItem(
                    line_id=line["id"],
                    quantity=quantity,
                    reason=ReturnReason(reason) if reason in {r.value for r in shop.reasons} else None,
                    comment=_text(form, f"comment_{i}", 2000),
                    replacement_sku=before.replacement_sku if before else None,
                )
            )
        return _with(draft, items=[i.model_dump() for i in items])
    if step == "resolution":
        chosen = _text(form, "resolution")
        items = [
            {**item.model_dump(), "replacement_sku": _text(form, f"exchange_{i}", 128) or None}
            for i, item in enumerate(draft.items)
        ]
        resolution = chosen if chosen in {r.value for r in Resolution} else None
        return _with(draft, resolution=resolution, items=items)
    if step == "send":
        method = _text(form, "send_method")
        return _with(
            draft,
            send_method=method if method in SEND_METHODS else None,
            pickup_start=_text(form, "pickup", 40) or None,
            store_id=_text(form, "store", 128) or None,
        )
    return draft
