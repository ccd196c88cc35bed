"""The data converter every client uses: pydantic models, and (when RETURNFLOW_PAYLOAD_CODEC_KEYS is set)
AES-256-GCM encrypted payloads, so a history holds no shopper data or free-text notes in the clear.

The shape is the Temporal samples' (samples-python `encryption/codec.py`), so other SDKs' codecs read it:
each payload becomes `encoding: binary/encrypted`, `encryption-key-id: <kid>`, and data = a random 12-byte
nonce + AES-GCM(the original payload, protobuf-serialized). The first key encrypts; every key listed
decrypts, so a key is rotated by putting the new one first and keeping the old ones while histories that
used them are still read. A payload that is not encrypted passes through decode: histories written before
the switch still read. Failure messages and stack traces are encoded too; search attributes (ids and statuses)
and the SDK's own marker data are never encoded. The API's codec endpoint (api/routers/temporal_codec.py) uses the same codec so the
Temporal UI can show histories.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
import re
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes, PayloadCodec

from settings import Settings

ENCODING = "encoding"
ENCRYPTED = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12
KEY_BYTES = 32  # AES-256
SETTING = "RETURNFLOW_PAYLOAD_CODEC_KEYS"
_KEY_ID_SHAPE = re.compile(r"[A-Za-z0-9._-]{1,64}")


def parse_keys(text: str) -> list[tuple[str, bytes]]:
    """ "kid:base64key,kid2:base64key" → [(kid, key), ...] in order; ValueError naming the entry (never the key
    material) for a missing id, an id listed twice, bad base64, or a key that is not 32 bytes."""
    keys: list[tuple[str, bytes]] = []
    for n, entry in enumerate((e.strip() for e in text.split(",")), start=1):
        if not entry:
            continue
        key_id, sep, encoded = (part.strip() for part in entry.partition(":"))
        if not sep or not _KEY_ID_SHAPE.fullmatch(key_id):
            raise ValueError(f"{SETTING}: entry {n} is not 'kid:base64key' (kid: 1-64 of A-Z a-z 0-9 . _ -)")
        if any(key_id == seen for seen, _ in keys):
            raise ValueError(f"{SETTING}: key id {key_id!r} is listed twice")
        try:  # standard or URL-safe alphabet, padded
            key = base64.b64decode(encoded, altchars=b"-_" if re.search("[-_]", encoded) else None, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"{SETTING}: the key of {key_id!r} is not base64") from None
        if len(key) != KEY_BYTES:
            raise ValueError(f"{SETTING}: the key of {key_id!r} is {len(key)} bytes; AES-256 wants {KEY_BYTES}")
        keys.append((key_id, key))
    if not keys and text.strip():
        raise ValueError(f"{SETTING}: no key in it")
    return keys


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM with key ids: encrypts with the first key, decrypts with whichever key a payload names."""

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise ValueError(f"{SETTING}: at least one key")
        self.key_id = keys[0][0]
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self.key_id].encrypt(nonce, payload.SerializeToString(), None)
        return Payload(metadata={ENCODING: ENCRYPTED, KEY_ID: self.key_id.encode()}, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get(ENCODING) != ENCRYPTED:
            return payload  # written before encryption was switched on (or never encoded): as it is
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise ValueError(
                f"payload encrypted with key id {key_id!r}, which {SETTING} does not hold "
                f"(it holds {', '.join(self._ciphers)}); keep old keys listed after the new one"
            )
        try:
            plain = cipher.decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], None)
        except InvalidTag:
            raise ValueError(
                f"payload with key id {key_id!r} does not decrypt: another key under that id, or altered"
            ) from None
        return Payload.FromString(plain)


def payload_codec(settings: Settings) -> EncryptionCodec | None:
    """The codec the settings ask for (None: payloads stay plain JSON). Raises ValueError on a bad setting, so
    the API and the worker call it as they start."""
    keys = parse_keys(settings.payload_codec_keys.get_secret_value())
    return EncryptionCodec(keys) if keys else None


def data_converter(settings: Settings) -> DataConverter:
    codec = payload_codec(settings)
    if codec is None:
        return pydantic_data_converter
    # Failure messages and stack traces too (they can quote a carrier's or a bank's answer about a shopper).
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def new_key() -> str:
    """A fresh key for the setting: `python -c "from workers.codec import new_key; print('k1:' + new_key())"`."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()
