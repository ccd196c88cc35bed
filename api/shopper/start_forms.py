"""What each step of starting a return reads from its form, merged into the draft.

Never trusting the form: values outside what the page offered are dropped (a reason the merchant does not list,
a send method we do not know); a value the draft's types refuse (a quantity that is no number or too many, a
comment with control characters) is a FormProblem: the step again with a sentence saying what (422), never a 500.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from api.shopper.flow import MAX_COMMENT, Draft, DraftItem
from api.shopper.start_facts import Shop
from domain.returns import Resolution, ReturnReason
from domain.validation import MAX_QUANTITY

SEND_METHODS = ("label", "qr", "pickup", "store")
_QUANTITY = re.compile(r"[0-9]{1,5}")  # ASCII digits only: str.isdigit takes "²", which int() refuses
_LINE_BREAKS = re.compile(r"[\r\n\t]+")  # a <textarea> sends CRLF; the comment is one line of plain text


class FormProblem(Exception):
    """The form holds a value the draft cannot take: show `step` again with `errors` (the shopper's words)."""

    def __init__(self, step: str, errors: list[str]) -> None:
        super().__init__(step)
        self.step, self.errors = step, errors


def _with(step: str, draft: Draft, _: Callable[[str], str], **changes: Any) -> Draft:
    try:
        return Draft.model_validate({**draft.model_dump(), **changes})
    except ValidationError as err:
        raise FormProblem(step, [_("Something in the form could not be read. Please check it and try again.")]) from err


def _text(form, name: str, limit: int = 200) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def comment_of(form, name: str) -> str:
    """The comment box's text; its line breaks and tabs become spaces (the API's comment is plain one-line text)."""
    lines = _LINE_BREAKS.split(_text(form, name, 2 * MAX_COMMENT))
    return " ".join(part.strip() for part in lines if part.strip())[:MAX_COMMENT]


def _items(form, draft: Draft, shop: Shop, _: Callable[[str], str]) -> list[DraftItem]:
    items, errors = [], []
    for i, line in enumerate(shop.order.lines):
        title = line.get("title") or line["id"]
        left = shop.returnable.get(line["id"], 0)
        raw = _text(form, f"qty_{i}") or "0"
        if not _QUANTITY.fullmatch(raw) or int(raw) > MAX_QUANTITY:  # more than are left: check_items refuses
            errors.append(_("Choose how many of %(item)s to return (0 to %(count)s).") % {"item": title, "count": left})
            continue
        if (quantity := int(raw)) == 0:
            continue
        reason = _text(form, f"reason_{i}")
        before = draft.item(line["id"])
        try:
            items.append(
                DraftItem(
                    line_id=line["id"],
                    quantity=quantity,
                    reason=ReturnReason(reason) if reason in {r.value for r in shop.reasons} else None,
                    comment=comment_of(form, f"comment_{i}"),
                    replacement_sku=before.replacement_sku if before else None,
                )
            )
        except ValidationError:
            errors.append(
                _("The comment on %(item)s has characters we cannot take. Please write it in plain text.")
                % {"item": title}
            )
    if errors:
        raise FormProblem("items", errors)
    return items


def read(step: str, form, draft: Draft, shop: Shop, _: Callable[[str], str]) -> Draft:
    """The draft with this step's form applied (FormProblem: a value it cannot take)."""
    if step == "items":
        return _with(step, draft, _, items=[i.model_dump() for i in _items(form, draft, shop, _)])
    if step == "resolution":
        chosen = _text(form, "resolution")
        items = [
            {**item.model_dump(), "replacement_sku": _text(form, f"exchange_{i}", 128) or None}
            for i, item in enumerate(draft.items)
        ]
        resolution = chosen if chosen in {r.value for r in Resolution} else None
        return _with(step, draft, _, resolution=resolution, items=items)
    if step == "send":
        method = _text(form, "send_method")
        return _with(
            step,
            draft,
            _,
            send_method=method if method in SEND_METHODS else None,
            pickup_start=_text(form, "pickup", 40) or None,
            store_id=_text(form, "store", 128) or None,
        )
    return draft
