"""The shopper's signed session (after finding their order) and the CSRF token every portal form carries.

The session is a cookie signed with itsdangerous under settings.portal_secret: merchant id, order id, a CSRF
token and the language; HttpOnly, SameSite=Lax, Secure over https, Path=/portal/<slug>, two hours. A cookie
that does not verify (tampered, expired, another secret) is no session at all.

Pages without a session (the find form, a return's page opened from its link) carry a CSRF token from
their own cookie (`rf_csrf`, signed, Path=/portal): a cross-site form cannot read it, so cannot send it.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, Signer, URLSafeTimedSerializer
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.shopper.errors import PortalError

SESSION_COOKIE = "rf_shopper"
CSRF_COOKIE = "rf_csrf"
LANG_COOKIE = "rf_lang"
SESSION_SECONDS = 2 * 3600
LANG_COOKIE_SECONDS = 365 * 24 * 3600
CSRF_FIELD = "csrf_token"
MAX_COOKIE = 4096


@dataclass(frozen=True)
class ShopperSession:
    merchant_id: str
    order_id: str
    csrf: str
    lang: str


def _secret(request: Request) -> str:
    return request.app.state.settings.portal_secret.get_secret_value()


def _sessions(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_secret(request), salt="returnflow-portal-session")


def _csrf_signer(request: Request) -> Signer:
    return Signer(_secret(request), salt="returnflow-portal-csrf")


HSTS = "max-age=31536000"


def _public_https(request: Request) -> bool:
    settings = getattr(request.app.state, "settings", None)
    return settings is not None and settings.public_url.lower().startswith("https://")


def secure(request: Request) -> bool:
    """Cookies are Secure when shoppers reach the portal over https: the public address says so (behind a proxy
    that ends TLS the request itself is plain http), or the request came over https."""
    return request.url.scheme == "https" or _public_https(request)


def transport_headers(request: Request) -> dict[str, str]:
    """HSTS on portal pages when the portal is public over https: browsers then never try it over http."""
    return {"Strict-Transport-Security": HSTS} if _public_https(request) else {}


def current_shopper(request: Request) -> ShopperSession | None:
    """The session the browser sent, if it verifies and is under two hours old; else None."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw or len(raw) > MAX_COOKIE:
        return None
    try:
        data: Any = _sessions(request).loads(raw, max_age=SESSION_SECONDS)
    except (BadSignature, ValueError, TypeError):
        return None
    if not (isinstance(data, list) and len(data) == 4 and all(isinstance(v, str) and v for v in data)):
        return None
    return ShopperSession(*data)


def shopper_of(request: Request, merchant: Any) -> ShopperSession | None:
    """The session, only when it is for this merchant (another shop's session gives no access here)."""
    found = current_shopper(request)
    return found if found is not None and merchant is not None and found.merchant_id == merchant.id else None


def start_session(
    response: Response, merchant_id: str, order_id: str, lang: str, *, request: Request, slug: str
) -> ShopperSession:
    """Sign the shopper in to one order of one merchant (cookie on /portal/<slug> only), with a fresh CSRF token."""
    found = ShopperSession(merchant_id, order_id, secrets.token_urlsafe(24), lang)
    value = _sessions(request).dumps([found.merchant_id, found.order_id, found.csrf, found.lang])
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=SESSION_SECONDS,
        path=f"/portal/{slug}",
        httponly=True,
        samesite="lax",
        secure=secure(request),
    )
    response.headers.update(transport_headers(request))
    return found


def end_session(response: Response, *, request: Request, slug: str) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path=f"/portal/{slug}", httponly=True, samesite="lax", secure=secure(request)
    )


def _cookie_csrf(request: Request) -> str | None:
    raw = request.cookies.get(CSRF_COOKIE)
    if not raw or len(raw) > 256:
        return None
    try:
        return _csrf_signer(request).unsign(raw).decode()
    except (BadSignature, UnicodeDecodeError):
        return None


def csrf_token(request: Request) -> tuple[str, str | None]:
    """The token a form on this page carries, and the signed cookie to set with it (None: already set)."""
    if (found := current_shopper(request)) is not None:
        return found.csrf, None
    if (known := _cookie_csrf(request)) is not None:
        return known, None
    token = secrets.token_urlsafe(24)
    return token, _csrf_signer(request).sign(token).decode()


def set_csrf_cookie(response: Response, request: Request, signed: str) -> None:
    response.set_cookie(CSRF_COOKIE, signed, path="/portal", httponly=True, samesite="lax", secure=secure(request))


def csrf_ok(request: Request, sent: Any) -> bool:
    """The form's token is this browser's: its session's, or its own cookie's."""
    if not isinstance(sent, str) or not sent or len(sent) > 256:
        return False
    expected = [t for t in (getattr(current_shopper(request), "csrf", None), _cookie_csrf(request)) if t]
    return any(hmac.compare_digest(sent.encode(), t.encode()) for t in expected)


async def require_csrf(request: Request, lang: str, merchant: Any = None) -> FormData:
    """The posted form, once its CSRF token checks out; else the localized 403 page (PortalError)."""
    try:
        form = await request.form()
    except StarletteHTTPException:  # a body past the limit (api/body_limit.py): its own page, 413
        raise
    except Exception:  # a body that is no form at all is refused like a missing token
        raise PortalError(lang, 403, "csrf", merchant) from None
    if not csrf_ok(request, form.get(CSRF_FIELD)):
        raise PortalError(lang, 403, "csrf", merchant)
    return form
