"""Portal pages in the shopper's language: the one `render`, the language choice, and localized error pages.

Every page goes through `render`: templates of api/templates/portal in one Jinja environment per language
(activities.translations), the language switcher, the form's CSRF token, the merchant's branding, and the
headers every portal page has (a strict CSP: no inline style or script; no referrer; no caching; noindex).
`install(app)` makes PortalError, 404/405 and surprises under /portal answer a localized page, never JSON.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from activities.translations import gettext_for, template_environment
from api.log_redaction import redact
from api.shopper import session
from api.shopper.brand import branding
from api.shopper.errors import PortalError
from db.portal_lookup import merchant_by_slug as _merchant_by_slug
from domain.shopper_locale import LANGUAGES, choose_language

log = logging.getLogger("returnflow.api.portal")

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "portal"
CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'; connect-src 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
}
NATIVE_NAMES = {"nl": "Nederlands", "en": "English", "de": "Deutsch", "fr": "Français"}


def N_(text: str) -> str:
    """Marks a string for the catalogue; it is translated where it is shown."""
    return text


# kind -> (title, text) of an error page
ERROR_WORDS: dict[str, tuple[str, str]] = {
    "not_found": (N_("This page does not exist"), N_("Check the address, or open the shop's returns page again.")),
    "link": (
        N_("This link is not valid"),
        N_("Check that you copied the whole link, or ask the shop for a new one."),
    ),
    "csrf": (N_("This form has expired"), N_("Go back, reload the page and try again.")),
    "rate_limited": (N_("Too many tries"), N_("Please wait a while and try again later.")),
    "locked": (
        N_("Too many tries"),
        N_("For your safety, looking up this order is paused for an hour. Please try again later."),
    ),
    "error": (N_("Something went wrong"), N_("Please try again in a minute.")),
    "too_large": (N_("This form is too large"), N_("Please shorten what you wrote and send it again.")),
    "carrier": (
        N_("The label could not be fetched"),
        N_("The carrier did not answer. Please try again in a minute."),
    ),
    "no_label": (N_("There is no label here"), N_("This return has no usable label. The return page says why.")),
    "no_qr": (N_("There is no QR code here"), N_("This label has no tracking code to show as a QR code.")),
}


@cache
def environments() -> dict[str, jinja2.Environment]:
    return template_environment(TEMPLATES)


async def merchant_by_slug(db: Any, slug: str) -> Any:
    """The merchant whose returns page this is (`db` is the request's Db), or None."""
    return await db.run(_merchant_by_slug, slug)


def shopper_lang(request: Request, merchant: Any = None, recorded: str | None = None) -> str:
    """?lang=, then the language cookie, then (a return's recorded language, else Accept-Language), then the
    merchant's locale."""
    asked, cookie = request.query_params.get("lang"), request.cookies.get(session.LANG_COOKIE)
    if recorded:
        return choose_language(asked, cookie, None, recorded)
    return choose_language(asked, cookie, request.headers.get("accept-language"), getattr(merchant, "locale", None))


def languages(here: str, lang: str) -> list[dict[str, Any]]:
    """The switcher: every language, named in itself, linking to this page in it."""
    return [
        {
            "code": code,
            "name": NATIVE_NAMES[code],
            "href": f"{here}?{urlencode({'lang': code})}",
            "current": code == lang,
        }
        for code in LANGUAGES
    ]


def _page_of(request: Request) -> str:
    """The GET page the language links point at: this one, or after a POST the page it came from."""
    path = request.url.path
    return path if request.method in ("GET", "HEAD") else "/".join(path.split("/")[:3])


def render(
    request: Request, template: str, lang: str, *, merchant: Any = None, status: int = 200, **context: Any
) -> HTMLResponse:
    """A page of api/templates/portal in `lang`. Context always has lang, languages, csrf_token and merchant
    (branding dict or None); `here` (optional) is the GET address the language links point at (default: this
    path; give it when answering a POST)."""
    lang = lang if lang in LANGUAGES else "en"
    token, new_cookie = session.csrf_token(request)
    here = context.pop("here", None) or _page_of(request)
    values = {
        "lang": lang,
        "languages": languages(here, lang),
        "csrf_token": token,
        "merchant": branding(merchant),
        **context,
    }
    html = environments()[lang].get_template(template).render(values)
    response = HTMLResponse(html, status_code=status, headers={**HEADERS, **session.transport_headers(request)})
    if new_cookie:
        session.set_csrf_cookie(response, request, new_cookie)
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        response.set_cookie(
            session.LANG_COOKIE,
            asked,
            max_age=session.LANG_COOKIE_SECONDS,
            path="/portal",
            samesite="lax",
            secure=session.secure(request),
        )
    return response


def page_error(request: Request, lang: str, status: int, kind: str, merchant: Any = None) -> HTMLResponse:
    """A short page saying what went wrong, in `lang`, with the given status."""
    title, text = ERROR_WORDS.get(kind, ERROR_WORDS["error"])
    _ = gettext_for(lang)
    return render(request, "message.html.j2", lang, merchant=merchant, status=status, title=_(title), text=_(text))


def not_found(request: Request, lang: str, merchant: Any = None) -> HTMLResponse:
    return page_error(request, lang, 404, "not_found", merchant)


def too_large_answer(limit: int) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """api/body_limit.py's answer to a portal form past the body limit: the localized page, not JSON."""

    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        await page_error(request, shopper_lang(request), 413, "too_large")(scope, receive, send)

    return answer


async def guarded(request: Request, work: Callable[[], Awaitable[Response]]) -> Response:
    """Whatever goes wrong, the shopper gets a page (the log gets the trace, never the path's link)."""
    try:
        return await work()
    except (PortalError, StarletteHTTPException):
        raise
    except Exception:
        log.exception("portal page failed: %s %s", request.method, redact(request.url.path))
        return page_error(request, shopper_lang(request), 500, "error")


async def _shop_in_path(request: Request) -> Any:
    """The shop of /portal/<slug>/…, so its 404 speaks its language; None for a return's link or no shop."""
    parts = request.url.path.split("/")
    if len(parts) < 3 or "." in parts[2] or not parts[2]:
        return None
    try:
        return await merchant_by_slug(request.app.state.db, parts[2])
    except Exception:  # an error page must not fail on its way out
        return None


def _is_portal(request: Request) -> bool:
    path = request.url.path
    return path == "/portal" or path.startswith("/portal/")


def install(app: FastAPI) -> None:
    """Under /portal, errors are localized pages; elsewhere the JSON handlers of api/errors.py stay in charge.
    Call after api.errors.install."""
    json_http = app.exception_handlers[StarletteHTTPException]
    json_invalid = app.exception_handlers[RequestValidationError]
    json_unexpected = app.exception_handlers[Exception]

    async def portal_error(request: Request, exc: Exception) -> Any:
        assert isinstance(exc, PortalError)
        return page_error(request, exc.lang, exc.status, exc.kind, exc.merchant)

    async def http(request: Request, exc: Exception) -> Any:
        if not _is_portal(request):
            return await json_http(request, exc)
        status = getattr(exc, "status_code", 404)
        merchant = await _shop_in_path(request)
        kind = "not_found" if status in (404, 405) else "too_large" if status == 413 else "error"
        return page_error(request, shopper_lang(request, merchant), status, kind, merchant)

    async def invalid(request: Request, exc: Exception) -> Any:
        if not _is_portal(request):
            return await json_invalid(request, exc)
        return page_error(request, shopper_lang(request), 404, "not_found")

    async def unexpected(request: Request, exc: Exception) -> Any:
        if not _is_portal(request):
            return await json_unexpected(request, exc)
        log.error("portal page failed: %s %s", request.method, redact(request.url.path), exc_info=exc)
        return page_error(request, shopper_lang(request), 500, "error")

    app.add_exception_handler(PortalError, portal_error)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(Exception, unexpected)
