"""The Temporal UI's codec endpoint (api/routers/temporal_codec.py): who may decode, CORS for the UI, the
protocol's JSON. That it decodes what a worker wrote: tests/workflows/test_payload_codec_histories.py."""

from __future__ import annotations

import base64
import os

from fastapi.testclient import TestClient
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload

from tests.api.alone import api_alone
from workers.codec import EncryptionCodec, parse_keys

KEYS = f"k1:{base64.b64encode(os.urandom(32)).decode()}"
ADMIN_KEY = "codec-admin-key-0123456789abcdef"
UI = "http://localhost:8233"  # the dev server's UI (temporal_ui_port)
LOCAL = ("127.0.0.1", 50123)  # make run: the browser on this machine
ELSEWHERE = ("203.0.113.7", 50123)
SECRET = Payload(metadata={"encoding": b"json/plain"}, data=b'{"notes":"torn sleeve, gift for Maria"}')


def as_json(*payloads: Payload) -> dict:
    return {"payloads": [json_format.MessageToDict(p) for p in payloads]}


def from_json(body: dict) -> list[Payload]:
    return [json_format.ParseDict(p, Payload()) for p in body["payloads"]]


async def encrypted(keys: str = KEYS) -> Payload:
    return (await EncryptionCodec(parse_keys(keys)).encode([SECRET]))[0]


def api(sqlite_url: str, client=LOCAL, **settings) -> TestClient:
    settings = {"payload_codec_keys": KEYS, "admin_key": ADMIN_KEY, **settings}
    return TestClient(api_alone(sqlite_url, **settings), client=client, base_url="http://127.0.0.1:8000")


async def test_the_ui_on_this_machine_decodes_with_cors(sqlite_url):
    body = as_json(await encrypted(), SECRET)  # an encrypted payload and one from before the switch
    with api(sqlite_url) as client:
        pre = client.options(
            "/temporal-codec/decode",
            headers={
                "Origin": UI,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-namespace",
            },
        )
        assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == UI
        assert "x-namespace" in pre.headers["access-control-allow-headers"]
        assert "authorization" in pre.headers["access-control-allow-headers"]
        r = client.post("/temporal-codec/decode", json=body, headers={"Origin": UI, "X-Namespace": "default"})
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == UI
        assert from_json(r.json()) == [SECRET, SECRET]

        # /encode: what the UI sends a workflow (a signal's input), encrypted with the first key.
        r = client.post("/temporal-codec/encode", json=as_json(SECRET), headers={"X-Namespace": "default"})
        (sealed,) = from_json(r.json())
        assert sealed.metadata["encryption-key-id"] == b"k1" and b"Maria" not in sealed.data
        assert await EncryptionCodec(parse_keys(KEYS)).decode([sealed]) == [SECRET]


async def test_from_elsewhere_only_with_the_admin_key(sqlite_url):
    body = as_json(await encrypted())
    with api(sqlite_url, client=ELSEWHERE) as client:
        r = client.post("/temporal-codec/decode", json=body)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized" and "Maria" not in r.text
        ops_key = {"Authorization": "Bearer rf_test_ops_demo_00000000000000000000000"}  # a merchant's ops key
        assert client.post("/temporal-codec/decode", json=body, headers=ops_key).status_code == 401
        operator = {"Authorization": f"Bearer {ADMIN_KEY}"}  # the temporal CLI's --codec-auth
        r = client.post("/temporal-codec/decode", json=body, headers=operator)
        assert r.status_code == 200 and from_json(r.json()) == [SECRET]
    with api(sqlite_url, client=ELSEWHERE, admin_key="") as client:  # no operator key: no way in from elsewhere
        r = client.post("/temporal-codec/decode", json=body, headers={"Authorization": "Bearer "})
        assert r.status_code == 401


async def test_this_machine_is_not_enough_where_the_api_is_exposed_or_listens_widely(sqlite_url):
    body = as_json(await encrypted())
    # A wrong key is refused even from this machine.
    with api(sqlite_url) as client:
        r = client.post("/temporal-codec/decode", json=body, headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401
    for exposed in ({"public_base_url": "https://returns.example.com"}, {"api_host": "0.0.0.0"}):
        with api(sqlite_url, **exposed) as client:  # a proxy on this machine would look local
            assert client.post("/temporal-codec/decode", json=body).status_code == 401, exposed
            operator = {"Authorization": f"Bearer {ADMIN_KEY}"}
            assert client.post("/temporal-codec/decode", json=body, headers=operator).status_code == 200


async def test_foreign_origins_and_other_namespaces_are_refused(sqlite_url):
    body = as_json(await encrypted())
    evil = "http://localhost:9999"
    with api(sqlite_url, temporal_ui_url="https://temporal.example.com/namespaces") as client:
        pre = client.options(
            "/temporal-codec/decode", headers={"Origin": evil, "Access-Control-Request-Method": "POST"}
        )
        assert pre.status_code == 403 and "access-control-allow-origin" not in pre.headers
        r = client.post("/temporal-codec/decode", json=body, headers={"Origin": evil})
        assert r.status_code == 403 and r.json()["error"]["code"] == "origin_not_allowed" and "Maria" not in r.text
        # The deployment's own UI (RETURNFLOW_TEMPORAL_UI_URL), by its origin.
        ours = "https://temporal.example.com"
        r = client.post("/temporal-codec/decode", json=body, headers={"Origin": ours})
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == ours
        r = client.post("/temporal-codec/decode", json=body, headers={"X-Namespace": "someone-else"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "namespace_not_served"


async def test_undecodable_or_malformed_payloads_are_clear_400s(sqlite_url):
    other_key = f"k9:{base64.b64encode(os.urandom(32)).decode()}"
    with api(sqlite_url) as client:
        r = client.post("/temporal-codec/decode", json=as_json(await encrypted(other_key)))
        assert r.status_code == 400 and r.json()["error"]["code"] == "payload_undecodable"
        assert "'k9'" in r.json()["error"]["message"]
        for malformed in (b"payloads", b'{"payloads": "x"}', b'{"payloads": [{"dato": ""}]}'):
            r = client.post("/temporal-codec/decode", content=malformed)
            assert r.status_code == 400 and r.json()["error"]["code"] == "malformed_payloads", malformed


async def test_without_codec_keys_there_is_no_endpoint_and_it_is_never_in_the_openapi_document(sqlite_url):
    with api(sqlite_url, payload_codec_keys="") as client:
        r = client.post(
            "/temporal-codec/decode", json=as_json(SECRET), headers={"Authorization": f"Bearer {ADMIN_KEY}"}
        )
        assert r.status_code == 404
    with api(sqlite_url) as client:
        assert not [p for p in client.get("/openapi.json").json()["paths"] if "codec" in p]
