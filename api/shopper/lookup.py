"""Finding an order from the portal: order number plus the email or the postcode on it, without an oracle.

A wrong email, a wrong postcode and an unknown order are one answer, reached by the same work: the order is
read (present or not), both comparisons run in constant time against the order's values or stand-ins, and the
try counts against that order number either way. Limits (the `limits` library, moving window):
- per client address: settings.portal_lookup_limits (e.g. 30/minute;300/hour), every try;
- per (merchant, order number): settings.portal_order_tries wrong tries (e.g. 10/hour); the last one locks that
  order number's lookup for an hour (a fixed window of one), right answer or not. Keys are HMACs of the order
  number, so the storage (memory://, or redis:// shared by every API process) holds no order numbers.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Request
from limits import RateLimitItem, RateLimitItemPerHour, parse_many
from limits.aio.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter
from limits.storage import storage_from_string

from db.portal_lookup import order_for_lookup
from settings import Settings

LOCK = RateLimitItemPerHour(1)  # one lock per hour: while its window runs, the order number is locked
MAX_INPUT = 254
Outcome = Literal["found", "wrong", "locked", "limited"]


@dataclass(frozen=True)
class Found:
    outcome: Outcome
    order_id: str | None = None


def async_uri(uri: str) -> str:
    """The async flavour of a storage URI (the portal's handlers run on the event loop)."""
    return uri if uri.startswith("async+") else f"async+{uri}"


class Limiter:
    def __init__(self, settings: Settings) -> None:
        uri = async_uri(settings.rate_limit_storage)
        options: dict[str, Any] = {"implementation": "redispy"} if "redis" in uri.split("://")[0] else {}
        storage = storage_from_string(uri, **options)
        self.moving = MovingWindowRateLimiter(storage)
        self.fixed = FixedWindowRateLimiter(storage)
        self.per_client = parse_many(settings.portal_lookup_limits)
        self.tries: RateLimitItem = parse_many(settings.portal_order_tries)[0]
        self.secret = settings.portal_secret.get_secret_value().encode()

    def order_key(self, merchant_id: str, order_number: str) -> str:
        return hmac.new(self.secret, f"lookup\n{merchant_id}\n{order_number}".encode(), hashlib.sha256).hexdigest()[:32]

    async def client_allowed(self, client: str) -> bool:
        allowed = True
        for item in self.per_client:  # hit every window, so a burst counts against the hourly one too
            allowed = await self.moving.hit(item, "portal-client", client) and allowed
        return allowed

    async def locked(self, key: str) -> bool:
        return not await self.fixed.test(LOCK, "portal-order-lock", key)

    async def wrong_try(self, key: str) -> None:
        await self.moving.hit(self.tries, "portal-order-tries", key)
        if not await self.moving.test(self.tries, "portal-order-tries", key):
            await self.fixed.hit(LOCK, "portal-order-lock", key)


def limiter(request: Request) -> Limiter:
    """One limiter per app (its memory:// storage is this process's)."""
    state = request.app.state
    if getattr(state, "portal_limiter", None) is None:
        state.portal_limiter = Limiter(state.settings)
    return state.portal_limiter


def normal_email(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().casefold()


def normal_postcode(value: str) -> str:
    return re.sub(r"[\s-]+", "", unicodedata.normalize("NFKC", value)).upper()


def _same(given: str, known: str) -> bool:
    # Digests of equal length: compare_digest's time then says nothing about either value's length.
    a = hashlib.sha256(given.encode()).digest()
    b = hashlib.sha256(known.encode()).digest()
    return hmac.compare_digest(a, b) and bool(given) and bool(known)


def matches(order: Any, contact: str) -> bool:
    """The email (any case) or the postcode (any spacing/case) on the order; both compared, every time."""
    customer = (getattr(order, "customer", None) or {}) if order is not None else {}
    address = customer.get("address") if isinstance(customer.get("address"), dict) else {}
    email = normal_email(str(customer.get("email") or "")) if order is not None else "\x00no-order"
    postcode = normal_postcode(str(address.get("zip") or "")) if order is not None else "\x00NO-ORDER"
    by_email = _same(normal_email(contact), email)
    by_postcode = _same(normal_postcode(contact), postcode)
    return (by_email if "@" in contact else by_postcode) and order is not None


def client_address(request: Request) -> str:
    """Whom the per-client limit counts: an IPv4 address, or an IPv6 client's /64 (one subscriber gets a whole /64
    and could take a fresh address for every try); an IPv4-mapped IPv6 address is its IPv4 address."""
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])  # a zone id (fe80::1%eth0) is no part of it
    except ValueError:
        return host or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


async def find_order(request: Request, db: Any, merchant: Any, order_number: str, contact: str) -> Found:
    """The order this shopper may see, or why not (wrong, locked, limited: the caller answers each uniformly)."""
    limits = limiter(request)
    if not await limits.client_allowed(client_address(request)):
        return Found("limited")
    number = order_number.strip()[:MAX_INPUT]
    contact = contact.strip()[:MAX_INPUT]
    key = limits.order_key(merchant.id, number)
    if await limits.locked(key):
        return Found("locked")
    order = await db.run(order_for_lookup, merchant.id, number)
    if matches(order, contact):
        return Found("found", order.id)
    await limits.wrong_try(key)
    return Found("wrong")
