"""The payload codec (workers/codec.py) on its own: the setting's validation, rotation, unknown key ids, and
plain payloads passing through. Histories on the real test server: tests/workflows/test_payload_codec_histories.py."""

from __future__ import annotations

import base64
import os

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter

from settings import Settings
from tests.api.alone import api_alone
from workers.codec import EncryptionCodec, data_converter, parse_keys, payload_codec

K1 = os.urandom(32)
K2 = os.urandom(32)
KEYS_K1 = f"k1:{base64.b64encode(K1).decode()}"
KEYS_K2_K1 = f"k2:{base64.b64encode(K2).decode()},{KEYS_K1}"


@pytest.mark.parametrize(
    ("setting", "says"),
    [
        ("k1:not*base64!", "the key of 'k1' is not base64"),
        (f"k1:{base64.b64encode(os.urandom(16)).decode()}", "16 bytes; AES-256 wants 32"),
        (base64.b64encode(K1).decode(), "entry 1 is not 'kid:base64key'"),
        (f"{KEYS_K1},{KEYS_K1}", "'k1' is listed twice"),
        (" , ", "no key in it"),
    ],
)
def test_a_bad_setting_is_a_clear_value_error_at_start_up(setting, says, sqlite_url):
    with pytest.raises(ValueError, match="RETURNFLOW_PAYLOAD_CODEC_KEYS") as err:
        payload_codec(Settings(payload_codec_keys=setting))
    assert says in str(err.value)
    assert base64.b64encode(K1).decode() not in str(err.value)  # never the key material
    with pytest.raises(ValueError, match=says.replace("(", r"\(").replace("*", r"\*")):
        api_alone(sqlite_url, payload_codec_keys=setting)  # the API refuses to start


def test_off_by_default_and_urlsafe_keys_parse():
    assert data_converter(Settings()) is pydantic_data_converter
    urlsafe = base64.urlsafe_b64encode(b"\xfb" * 32).decode()  # "-" and "_" instead of "+" and "/"
    assert "-" in urlsafe and parse_keys(f"k1:{urlsafe}") == [("k1", b"\xfb" * 32)]


async def test_rotation_unknown_key_ids_and_plain_payloads():
    written_by_k1 = await EncryptionCodec(parse_keys(KEYS_K1)).encode([Payload(data=b'"plain"')])
    assert written_by_k1[0].metadata["encryption-key-id"] == b"k1"
    rotated = EncryptionCodec(parse_keys(KEYS_K2_K1))
    assert await rotated.decode(written_by_k1) == [Payload(data=b'"plain"')]
    assert (await rotated.encode([Payload(data=b"x")]))[0].metadata["encryption-key-id"] == b"k2"
    # Written before the switch: read as it is.
    legacy = Payload(metadata={"encoding": b"json/plain"}, data=b'{"a":1}')
    assert await rotated.decode([legacy]) == [legacy]
    # k1 dropped too early: a clear failure naming the missing id, not garbage.
    with pytest.raises(ValueError, match="key id 'k1', which RETURNFLOW_PAYLOAD_CODEC_KEYS does not hold"):
        await EncryptionCodec(parse_keys(KEYS_K2_K1.split(",")[0])).decode(written_by_k1)
    # Another key under the same id, or altered bytes: refused.
    impostor = EncryptionCodec([("k1", K2)])
    with pytest.raises(ValueError, match="does not decrypt"):
        await impostor.decode(written_by_k1)
