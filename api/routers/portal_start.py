"""The shopper starts a return in the portal: pick items → what you get → how to send → confirm.

Plain HTML forms (they work without JavaScript); with htmx the quote panel follows every change
(`POST .../quote` answers the panel alone). Between steps the draft travels in a signed hidden field
(api/shopper/flow.py) and is checked again at every step against the session's order as it is now.
The return is created by `api.return_creation.create`, the path of `POST /v1/returns`, with an
Idempotency-Key from the draft's id: a double submit or the back button lands on the same return.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, RedirectResponse
from pydantic import ValidationError

from activities.translations import gettext_for
from api.deps import DbDep, SettingsDep
from api.errors import ApiError
from api.portal_links import portal_url
from api.return_creation import create
from api.returns_gateway import ReturnsGatewayDep
from api.shopper import start_forms as forms
from api.shopper import start_steps as steps
from api.shopper.flow import Draft, DraftRefused, NoItems, check_items, seal, unseal
from api.shopper.session import ShopperSession, require_csrf, shopper_of
from api.shopper.start_facts import Shop, load_shop
from api.shopper.start_words import draft_refused, error_sentence
from api.shopper.web import merchant_by_slug, not_found, render, shopper_lang
from db.return_choices import choices_of
from db.returns import get_return
from settings import Settings
from workflows import ids

router = APIRouter(include_in_schema=False)
HTMX = Path(__file__).resolve().parents[2] / "node_modules" / "htmx.org" / "dist" / "htmx.min.js"
STEP_NAMES = ("items", "resolution", "send", "confirm")


@router.get("/portal-assets/htmx.min.js")
async def htmx_script() -> Response:
    """htmx from npm (package.json); without node_modules the pages work as plain forms."""
    if not HTMX.is_file():
        return Response(status_code=404, headers={"Cache-Control": "no-store"})
    return FileResponse(
        HTMX,
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@dataclass
class Visit:
    """One request of the flow: who asks (the session's order at this merchant), in which language."""

    request: Request
    slug: str
    merchant: Any
    shopper: ShopperSession
    lang: str
    shop: Shop
    settings: Settings
    db: Any

    @property
    def _(self):
        return gettext_for(self.lang)

    @property
    def secret(self) -> str:
        return self.settings.portal_secret.get_secret_value()

    def page(self, template: str, draft: Draft, *, status: int = 200, **context: Any) -> Response:
        return render(
            self.request,
            template,
            self.lang,
            merchant=self.merchant,
            status=status,
            here=f"/portal/{self.slug}/start",
            slug=self.slug,
            draft_token=seal(draft, self.secret),
            **context,
        )

    def refused(self) -> Response:
        _ = self._
        return render(
            self.request,
            "message.html.j2",
            self.lang,
            merchant=self.merchant,
            status=400,
            here=f"/portal/{self.slug}/start",
            title=_("Please start again"),
            text=draft_refused(_),
        )


async def _visit(request: Request, slug: str, db, settings: Settings) -> Visit | Response:
    merchant = await merchant_by_slug(db, slug)
    lang = shopper_lang(request, merchant)
    if merchant is None:
        return not_found(request, lang)
    shopper = shopper_of(request, merchant)
    if shopper is None:
        return RedirectResponse(f"/portal/{slug}", status_code=303)
    shop = await load_shop(db, merchant.id, shopper.order_id)
    if shop is None:
        return RedirectResponse(f"/portal/{slug}", status_code=303)
    return Visit(request, slug, merchant, shopper, lang, shop, settings, db)


def _return_page(v: Visit, return_id: str) -> Response:
    return RedirectResponse(urlsplit(portal_url(v.settings, return_id, v.merchant.id)).path, status_code=303)


async def _created(v: Visit, draft: Draft) -> str | None:
    """The return this draft already created (a double submit, the back button), if any: its choices are recorded
    before its workflow starts, so a second submit finds it even while the first is still being answered."""
    return_id = ids.requested_return_id(v.merchant.id, draft.idempotency_key)
    row = await v.db.run(get_return, v.merchant.id, return_id)
    chosen = row is not None or await v.db.run(choices_of, v.merchant.id, return_id) is not None
    return return_id if chosen else None


@router.get("/portal/{slug}/start")
async def start(slug: str, request: Request, db: DbDep, settings: SettingsDep) -> Response:
    v = await _visit(request, slug, db, settings)
    if not isinstance(v, Visit):
        return v
    return await steps.items_page(v, Draft.new(v.merchant.id, v.shopper.order_id))


async def _posted(v: Visit) -> tuple[Any, Draft] | Response:
    """The form (CSRF checked) and its draft, refused unless it is ours, for this order, and still possible."""
    form = await require_csrf(v.request, v.lang, v.merchant)
    raw = form.get("draft")
    try:
        draft = unseal(raw if isinstance(raw, str) else None, v.secret, v.merchant.id, v.shopper.order_id)
    except DraftRefused:
        return v.refused()
    if (done := await _created(v, draft)) is not None:
        return _return_page(v, done)
    try:
        check_items(draft, v.shop.returnable)
    except DraftRefused:
        return v.refused()
    return form, draft


async def _step_form(
    slug: str, step: str, request: Request, db: Any, settings: Any
) -> tuple[Visit, Any, Draft] | Response:
    """A step's post, opened: the shopper's visit, the form (CSRF checked) and its draft; else the page to answer."""
    v = await _visit(request, slug, db, settings)
    if not isinstance(v, Visit):
        return v
    if step not in STEP_NAMES:
        return not_found(request, v.lang, v.merchant)
    posted = await _posted(v)
    if isinstance(posted, Response):
        return posted
    form, draft = posted
    return v, form, draft


@router.post("/portal/{slug}/start/{step}")
async def step(slug: str, step: str, request: Request, db: DbDep, settings: SettingsDep, workflows: ReturnsGatewayDep):
    opened = await _step_form(slug, step, request, db, settings)
    if isinstance(opened, Response):
        return opened
    v, form, draft = opened
    try:
        draft = forms.read(step, form, draft, v.shop, v._)
        check_items(draft, v.shop.returnable)
        action = form.get("action")
        if step != "items" and not draft.items:
            return await _no_items(v, draft)
        if action == "back":
            return await steps.previous(step, v, draft)
        if action != "next":
            return await steps.page(step, v, draft)
        if step != "confirm":
            return await steps.advance(step, v, draft)
        return await _confirm(v, draft, workflows)
    except forms.FormProblem as problem:
        return await _form_problem(v, problem, draft)
    except NoItems:
        return await _no_items(v, draft)
    except DraftRefused:
        return v.refused()


async def items_again(slug: str, request: Request, db: Any, settings: Any) -> Response:
    """The items step again from the form a photo button just posted without JavaScript (the whole items form,
    sent to the photo route): the shopper's choices on it stay, and the line's photos show."""
    return await step(slug, "items", request, db, settings, None)


async def _no_items(v: Visit, draft: Draft) -> Response:
    """A later step with no items (the first page's draft posted on by hand): back to the items, saying why."""
    return await steps.items_page(v, draft, [v._("Choose at least one item to return.")], 422)


async def _form_problem(v: Visit, problem: forms.FormProblem, draft: Draft) -> Response:
    """The step again, as it was before this form, with what the form got wrong (422)."""
    if problem.step != "items" and not draft.items:
        return await _no_items(v, draft)
    return await steps.page(problem.step, v, draft, errors=problem.errors, status=422)


@router.post("/portal/{slug}/start/{step}/quote")
async def quote_fragment(slug: str, step: str, request: Request, db: DbDep, settings: SettingsDep) -> Response:
    """The quote panel alone, for htmx as the shopper changes the form."""
    opened = await _step_form(slug, step, request, db, settings)
    if isinstance(opened, Response):
        return opened
    v, form, draft = opened
    try:
        draft = forms.read(step, form, draft, v.shop, v._)
        check_items(draft, v.shop.returnable)
    except forms.FormProblem:
        pass  # the panel of the draft as it was; the step's own post says what is wrong
    except DraftRefused:
        return v.refused()
    try:
        return await steps.quote_panel(v, draft)
    except DraftRefused:
        return v.refused()


async def _confirm(v: Visit, draft: Draft, workflows) -> Response:
    try:
        body = await steps.create_body_of(v, draft)
    except steps.StepProblem as problem:
        return await steps.page(problem.step, v, draft, errors=problem.errors, status=422)
    except ValidationError:
        return await steps.page("confirm", v, draft, errors=[error_sentence("invalid_request", v._)], status=422)
    try:
        created = await create(v.db, workflows, v.settings, v.merchant.id, body, draft.idempotency_key, Response())
    except ApiError as err:
        if err.code == "idempotency_conflict" and (done := await _created(v, draft)) is not None:
            return _return_page(v, done)  # changed after submitting: the return that was created
        where = {
            "not_eligible": "items",
            "invalid_items": "items",
            "invalid_photos": "items",
            "invalid_exchange": "resolution",
            "unknown_store": "send",
        }
        return await steps.page(
            where.get(err.code, "confirm"), v, draft, errors=[error_sentence(err.code, v._)], status=422
        )
    return _return_page(v, created.id)
