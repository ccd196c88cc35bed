"""Signed links to the shopper portal: read access to one return, without an account.

A token is `v1.<payload>.<signature>`, both parts URL-safe base64 without padding:
the payload is the JSON `[merchant_id, return_id]`, the signature HMAC-SHA256 under
the portal secret (settings.portal_secret) over a purpose tag and the token's first two parts, so a
token cannot be re-used for anything else and no part of it can be changed. The
signature is checked (in constant time) before the payload is decoded.

No expiry: the link works as long as the return exists. Changing the secret invalidates
every link; the version prefix leaves room for a later format (an expiry, a key id).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from pydantic import SecretStr

VERSION = "v1"
_PURPOSE = b"returnflow-portal\n"
MAX_TOKEN_LENGTH = 1024  # ids are at most 64 + 128 characters; anything longer is not ours


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _secret(secret: SecretStr | str) -> bytes:
    return (secret.get_secret_value() if isinstance(secret, SecretStr) else secret).encode()


def _signature(signed: str, secret: SecretStr | str) -> str:
    return _b64(hmac.new(_secret(secret), _PURPOSE + signed.encode("ascii"), hashlib.sha256).digest())


def portal_token(return_id: str, merchant_id: str, secret: SecretStr | str) -> str:
    payload = _b64(json.dumps([merchant_id, return_id], separators=(",", ":"), ensure_ascii=False).encode())
    signed = f"{VERSION}.{payload}"
    return f"{signed}.{_signature(signed, secret)}"


def read_portal_token(token: str, secret: SecretStr | str) -> tuple[str, str] | None:
    """(merchant_id, return_id) if `token` is one of ours, unchanged; else None (never raises)."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        return None
    version, _, rest = token.partition(".")
    payload, _, signature = rest.partition(".")
    if version != VERSION or not payload or not signature:
        return None
    expected = _signature(f"{version}.{payload}", secret)
    # Compare the text, not decoded bytes: base64 has several spellings of the same bytes.
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii")):
        return None
    try:
        ids = json.loads(_unb64(payload).decode())
    except ValueError:  # binascii.Error, UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None
    if not (isinstance(ids, list) and len(ids) == 2 and all(isinstance(i, str) and i for i in ids)):
        return None
    return ids[0], ids[1]


def portal_link(base_url: str, secret: SecretStr | str, return_id: str, merchant_id: str) -> str:
    """The absolute link a shopper opens (in the label email, or sent by the merchant)."""
    return f"{base_url.rstrip('/')}/portal/{portal_token(return_id, merchant_id, secret)}"
