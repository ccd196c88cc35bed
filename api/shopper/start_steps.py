"""The four steps of starting a return: what each checks and shows (api/shopper/start_forms.py reads the forms).

`advance` checks the step and shows the next one (or the same with its errors, 422); every page shows the
policy's live quote for the draft.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Response
from pydantic import ValidationError

from api.errors import ApiError
from api.schemas.returns import ReturnCreate
from api.shopper import start_quote as quoting
from api.shopper import start_send as sending
from api.shopper import start_words as words
from api.shopper.flow import STEPS, Draft, DraftRefused, NoItems, create_body
from api.shopper.photos import photo_ids_by_line, photos_by_line
from api.shopper.start_facts import line_choices
from api.shopper.start_forms import SEND_METHODS
from domain.photos import MAX_PHOTO_BYTES, MAX_PHOTOS_PER_ITEM
from domain.returns import Resolution, ReturnReason


async def _assess(v, draft: Draft):
    if not draft.items:
        raise NoItems("nothing to assess")
    try:
        return await quoting.assess_draft(v.db, v.shop, draft, _now())
    except ApiError as err:  # the order changed under the draft (another return took its units)
        raise DraftRefused(err.code) from err
    except ValidationError as err:  # no draft that validates gets here (flow.quote_body); a last guard, no 500
        raise DraftRefused("invalid request") from err


def _now() -> datetime:
    return datetime.now(UTC)


def _frame(v, step: str, draft: Draft, errors: list[str], **context: Any) -> dict[str, Any]:
    _ = v._
    labels = words.step_labels(_)
    number = STEPS.index(step) + 1
    return {
        "step": step,
        "step_number": number,
        "steps": [{"label": labels[s], "current": s == step, "done": i < number - 1} for i, s in enumerate(STEPS)],
        "errors": errors,
        **context,
    }


def _panel(v, draft: Draft, found, quotes=None):
    if found is None:
        return None
    quotes = quotes or quoting.quotes_by_resolution(found, v.shop, v.lang)
    return quoting.panel(v.shop, found, quotes[draft.resolution or Resolution.REFUND], v.lang, v._)


# ---- items -------------------------------------------------------------------------------------


async def items_page(v, draft: Draft, errors: list[str] | None = None, status: int = 200) -> Response:
    _ = v._
    lines = await line_choices(v.db, v.shop, v.lang, _now(), _)
    reasons = words.reason_labels(_)
    found = await _assess(v, draft) if draft.items else None
    photos = await photos_by_line(v.db, v.shopper)
    return v.page(
        "start_items.html.j2",
        draft,
        status=status,
        **_frame(v, "items", draft, errors or []),
        lines=[
            (i, line, draft.item(line.line_id), ", ".join(reasons[ReturnReason(r)] for r in line.photo_reasons))
            for i, line in enumerate(lines)
        ],
        reasons=[(r.value, reasons[r]) for r in v.shop.reasons],
        photos_of=photos,
        max_photos=MAX_PHOTOS_PER_ITEM,
        max_megabytes=MAX_PHOTO_BYTES // (1024 * 1024),
        quote=_panel(v, draft, found),
    )


async def items_errors(v, draft: Draft) -> list[str]:
    _ = v._
    if not draft.items:
        return [_("Choose at least one item to return.")]
    lines = {line.line_id: line for line in await line_choices(v.db, v.shop, v.lang, _now(), _)}
    errors = []
    photos = await photo_ids_by_line(v.db, v.shopper)
    for item in draft.items:
        line = lines[item.line_id]
        if not line.selectable:
            raise DraftRefused(f"line {item.line_id!r} cannot be returned")
        if item.reason is None:
            errors.append(_("Choose a reason for %(item)s.") % {"item": line.title})
        elif item.reason.value in line.photo_reasons and not photos.get(item.line_id):
            errors.append(_("Please add 1 to 5 photos of %(item)s.") % {"item": line.title})
    if errors:
        return errors
    found = await _assess(v, draft)
    quote = quoting.quotes_by_resolution(found, v.shop, v.lang)[Resolution.REFUND]
    for item, q in zip(draft.items, quote.items, strict=True):
        if not q.eligible:
            title = lines[item.line_id].title
            errors += [f"{title}: {s}" for s in q.reasons]
    return errors


# ---- what you get ------------------------------------------------------------------------------


async def _resolution_facts(v, draft: Draft):
    found = await _assess(v, draft)
    quotes = quoting.quotes_by_resolution(found, v.shop, v.lang)
    options = quoting.options(quotes, v.lang, v._)
    variants: dict[str, list[dict]] = {}
    if quotes[Resolution.EXCHANGE].eligible:
        variants = await quoting.exchange_variants(v.db, v.shop, found, quotes[Resolution.EXCHANGE], v.lang, v._)
        if not all(variants.get(item.line_id) for item in draft.items):
            exchange = next(o for o in options if o.resolution == Resolution.EXCHANGE)
            exchange.allowed, exchange.why_not = False, [v._("No replacement is in stock for these items.")]
    return found, quotes, options, variants


async def resolution_page(v, draft: Draft, errors: list[str] | None = None, status: int = 200) -> Response:
    found, quotes, options, variants = await _resolution_facts(v, draft)
    return v.page(
        "start_resolution.html.j2",
        draft,
        status=status,
        **_frame(v, "resolution", draft, errors or []),
        options=options,
        items=[(i, item, v.shop.line(item.line_id)) for i, item in enumerate(draft.items)],
        variants=variants,
        chosen=draft.resolution,
        quote=_panel(v, draft, found, quotes),
    )


async def resolution_errors(v, draft: Draft) -> tuple[list[str], bool]:
    """The step's problems, and whether the chosen resolution's quote keeps every item (no parcel)."""
    _ = v._
    found, quotes, options, variants = await _resolution_facts(v, draft)
    allowed = {o.resolution for o in options if o.allowed}
    if draft.resolution not in allowed:
        return [_("Choose what you would like to get.")], False
    errors = []
    if draft.resolution == Resolution.EXCHANGE:
        for item in draft.items:
            offered = {c["sku"] for c in variants.get(item.line_id, [])}
            if item.replacement_sku not in offered:
                title = v.shop.line(item.line_id).get("title") or item.line_id
                errors.append(_("Choose a replacement for %(item)s.") % {"item": title})
    return errors, quotes[draft.resolution].keep_items


# ---- how to send -------------------------------------------------------------------------------


async def _send_facts(v):
    slots = sending.pickup_slots(_now(), v.shop.timezone, v.lang)
    stores = await sending.stores(v.db, v.merchant.id, v.lang)
    labels = words.send_labels(v._)
    methods = [(m, labels[m]) for m in SEND_METHODS if m != "store" or stores]
    return slots, stores, methods


async def send_page(v, draft: Draft, errors: list[str] | None = None, status: int = 200) -> Response:
    slots, stores, methods = await _send_facts(v)
    found = await _assess(v, draft)
    return v.page(
        "start_send.html.j2",
        draft,
        status=status,
        **_frame(v, "send", draft, errors or []),
        methods=methods,
        slots=slots,
        stores=stores,
        chosen=draft.send_method,
        pickup=draft.pickup_start,
        store_id=draft.store_id,
        quote=_panel(v, draft, found),
    )


async def send_errors(v, draft: Draft) -> list[str]:
    _ = v._
    slots, stores, methods = await _send_facts(v)
    if draft.send_method not in {m for m, _label in methods}:
        return [_("Choose how to send your parcel.")]
    if draft.send_method == "pickup" and sending.slot_of(draft.pickup_start, slots) is None:
        return [_("Choose a time for the pickup.")]
    if draft.send_method == "store" and draft.store_id not in {s.id for s in stores}:
        return [_("Choose a store.")]
    return []


# ---- confirm -----------------------------------------------------------------------------------


async def confirm_page(v, draft: Draft, errors: list[str] | None = None, status: int = 200) -> Response:
    _ = v._
    found = await _assess(v, draft)
    quotes = quoting.quotes_by_resolution(found, v.shop, v.lang)
    quote = quotes[draft.resolution or Resolution.REFUND]
    reasons = words.reason_labels(_)
    slots, stores, methods = await _send_facts(v)
    slot = sending.slot_of(draft.pickup_start, slots)
    store = next((s for s in stores if s.id == draft.store_id), None)
    variants = {}
    if draft.resolution == Resolution.EXCHANGE:
        variants = await quoting.exchange_variants(v.db, v.shop, found, quote, v.lang, _)
    summary = []
    for item in draft.items:
        choice = next((c for c in variants.get(item.line_id, []) if c["sku"] == item.replacement_sku), None)
        summary.append(
            {
                "title": v.shop.line(item.line_id).get("title") or item.line_id,
                "quantity": item.quantity,
                "reason": reasons.get(item.reason, "") if item.reason else "",
                "comment": item.comment,
                "replacement": choice,
            }
        )
    return v.page(
        "start_confirm.html.j2",
        draft,
        status=status,
        **_frame(v, "confirm", draft, errors or []),
        summary=summary,
        resolution=words.resolution_labels(_)[draft.resolution or Resolution.REFUND],
        keep_items=quote.keep_items,
        send=dict(methods).get(draft.send_method or "", ""),
        slot=slot,
        store=store,
        quote=_panel(v, draft, found, quotes),
    )


class StepProblem(Exception):
    """A step no longer checks out at confirm (the policy, the stock or the pickup days moved on): show it again."""

    def __init__(self, step: str, errors: list[str]) -> None:
        super().__init__(step)
        self.step, self.errors = step, errors


async def create_body_of(v, draft: Draft) -> ReturnCreate:
    """The return to create, after every step's checks again (StepProblem: the step to show with its errors)."""
    if errors := await items_errors(v, draft):
        raise StepProblem("items", errors)
    errors, keep = await resolution_errors(v, draft)
    if errors:
        raise StepProblem("resolution", errors)
    if not keep and (errors := await send_errors(v, draft)):
        raise StepProblem("send", errors)
    slot = sending.slot_of(draft.pickup_start, sending.pickup_slots(_now(), v.shop.timezone, v.lang))
    photos = await photo_ids_by_line(v.db, v.shopper)  # the session's own, not yet any return's
    return create_body(draft, v.lang, slot.window() if slot and not keep else None, keep, photos)


# ---- moving between steps ----------------------------------------------------------------------


async def page(step: str, v, draft: Draft, errors: list[str] | None = None, status: int = 200) -> Response:
    show = {"items": items_page, "resolution": resolution_page, "send": send_page, "confirm": confirm_page}[step]
    return await show(v, draft, errors, status)


async def advance(step: str, v, draft: Draft) -> Response:
    if step == "items":
        if errors := await items_errors(v, draft):
            return await items_page(v, draft, errors, 422)
        return await resolution_page(v, draft)
    if step == "resolution":
        errors, keep = await resolution_errors(v, draft)
        if errors:
            return await resolution_page(v, draft, errors, 422)
        return await (confirm_page(v, draft) if keep else send_page(v, draft))
    if errors := await send_errors(v, draft):
        return await send_page(v, draft, errors, 422)
    return await confirm_page(v, draft)


async def previous(step: str, v, draft: Draft) -> Response:
    if step in ("items", "resolution"):
        return await items_page(v, draft)
    if step == "send":
        return await resolution_page(v, draft)
    _errors, keep = await resolution_errors(v, draft)
    return await (resolution_page(v, draft) if keep else send_page(v, draft))


async def quote_panel(v, draft: Draft) -> Response:
    found = await _assess(v, draft) if draft.items else None
    return v.page("start_quote.html.j2", draft, quote=_panel(v, draft, found))
