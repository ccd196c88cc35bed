"""The carrier calls the API makes in a request (address check, label conversion, webhook signature),
with EasyPost's errors turned into ours: the API never imports the carrier SDK, so a second carrier
or an SDK upgrade changes activities/, not the HTTP layer. The client comes from easypost_client.py.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from typing import Any

import easypost.errors as ep
from easypost.util import validate_webhook

from activities.carrier_pace import account_digest
from activities.easypost_client import EasyPostSettings, easypost_client

# An address EasyPost verified for an account is not asked about again for a day: a shopper's next return, a
# create retried after a timeout, the same order's second return. Only digests are kept, never the address.
VERIFIED_FOR_SECONDS = 24 * 3600
VERIFIED_KEPT = 50_000
_verified: OrderedDict[str, float] = OrderedDict()
_verified_lock = threading.Lock()


class CarrierError(Exception):
    """EasyPost failed: no answer, a timeout, an unreadable answer (str() is EasyPost's own text)."""


class CarrierRefused(CarrierError):
    """EasyPost answered with an error: its HTTP status, code, message and field errors (objects or strings)."""

    def __init__(self, err: ep.ApiError) -> None:
        super().__init__(str(err))
        self.http_status: int | None = err.http_status
        self.code: str | None = err.code
        self.message: str = err.message or ""
        self.errors: list[Any] = list(err.errors or [])


class BadWebhookSignature(Exception):
    """The webhook's HMAC is missing or does not match our secret."""


def _ours(err: ep.EasyPostError) -> CarrierError:
    return CarrierRefused(err) if isinstance(err, ep.ApiError) else CarrierError(str(err))


def verify_address(settings: EasyPostSettings, address: dict[str, Any]) -> None:
    """EasyPost's strict verification (blocking): CarrierRefused with status 422 when it cannot verify it.
    An address it verified for this account within the day is not sent again."""
    digest = _address_digest(settings, address)
    if _verified_recently(digest):
        return
    try:
        easypost_client(settings).address.create_and_verify(**address)
    except ep.EasyPostError as err:
        raise _ours(err) from err
    with _verified_lock:
        _verified[digest] = time.monotonic()
        _verified.move_to_end(digest)
        while len(_verified) > VERIFIED_KEPT:
            _verified.popitem(last=False)


def _address_digest(settings: EasyPostSettings, address: dict[str, Any]) -> str:
    account = account_digest(settings.easypost_api_key.get_secret_value(), settings.easypost_base_url)
    return hashlib.sha256(f"{account}\0{json.dumps(address, sort_keys=True, default=str)}".encode()).hexdigest()


def _verified_recently(digest: str) -> bool:
    with _verified_lock:
        at = _verified.get(digest)
        if at is not None and time.monotonic() - at > VERIFIED_FOR_SECONDS:
            del _verified[digest]
            at = None
        return at is not None


def converted_label_url(settings: EasyPostSettings, shipment_id: str, fmt: str) -> str | None:
    """EasyPost's URL of the shipment's label converted to `fmt` (png, pdf, zpl); None if it gave none (blocking)."""
    try:
        shipment = easypost_client(settings).shipment.label(shipment_id, file_format=fmt.upper())
    except ep.EasyPostError as err:
        raise _ours(err) from err
    postage_label = getattr(shipment, "postage_label", None)
    return getattr(postage_label, f"label_{fmt}_url", None) if postage_label else None


def verified_webhook_event(body: bytes, headers: dict[str, Any], secret: str) -> Any:
    """The event, once the `X-Hmac-Signature` in `headers` proves EasyPost sent `body`: BadWebhookSignature
    if it does not, ValueError if the body is not JSON."""
    try:
        return validate_webhook(body, headers, secret)
    except ep.SignatureVerificationError as err:
        raise BadWebhookSignature(str(err)) from err
