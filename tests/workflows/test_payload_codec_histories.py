"""The payload codec (workers/codec.py) on the real test server: with RETURNFLOW_PAYLOAD_CODEC_KEYS a return's
history holds only encrypted payloads, a client with the codec reads it, a rotated key list still reads and replays
it, and the API's codec endpoint decodes what the worker wrote; without keys histories are plain JSON as before."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from google.protobuf import json_format
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.worker import Replayer

from db.migrate import upgrade
from db.session import make_engine
from domain.returns import Grade
from settings import Settings
from tests.api.alone import api_alone
from tests.conftest import test_settings as settings_for_tests
from tests.conftest import time_skipping_server
from tests.workflows.conftest import Harness, running_workers
from tests.workflows.test_return_workflow import receipt, scan, submitted
from workers.codec import data_converter
from workflows.ids import return_workflow_id
from workflows.messages import InspectedItem, Inspection
from workflows.returns import ReturnWorkflow

K1 = os.urandom(32)
K2 = os.urandom(32)
KEYS_K1 = f"k1:{base64.b64encode(K1).decode()}"
KEYS_K2_K1 = f"k2:{base64.b64encode(K2).decode()},{KEYS_K1}"
NOTE = "left sleeve torn; shopper wrote 'gift for Maria' on the tag"
ADMIN_KEY = "codec-admin-key-0123456789abcdef"


# ---- a return on the real test server, both ways ----------------------------------------------------------------


# The SDK's own bookkeeping in markers, never encoded: a patch's id, a local activity's seq, id, type and times
# (its arguments and result are payloads like any other).
SDK_MARKER_DATA = {("details", "patch-data"), ("details", "data")}


def payloads_in(message: Message) -> Iterator[Payload]:
    """Every payload a codec encodes: all of them but search attributes, headers and SDK_MARKER_DATA."""
    if isinstance(message, Payload):
        yield message
        return
    for field, value in message.ListFields():
        if field.message_type is None or field.name in ("search_attributes", "header"):
            continue
        if field.message_type.GetOptions().map_entry:
            is_message = field.message_type.fields_by_name["value"].message_type is not None
            items = [v for k, v in value.items() if is_message and (field.name, k) not in SDK_MARKER_DATA]
        else:
            items = [value] if isinstance(value, Message) else value  # one, or a repeated field
        for item in items:
            yield from payloads_in(item)


def history_bytes(history) -> bytes:
    return b"".join(e.SerializeToString() for e in history.events)


@pytest.fixture(scope="module")
async def encrypted(sandboxes, tmp_path_factory) -> Iterator[Harness]:
    """A test server of its own whose workers (and client) encrypt with k1."""
    url = f"sqlite:///{tmp_path_factory.mktemp('codec') / 'returnflow.db'}"
    upgrade(url)
    settings = settings_for_tests(url, sandboxes, payload_codec_keys=KEYS_K1)
    env = await time_skipping_server(data_converter(settings))
    engine = make_engine(url)
    try:
        async with running_workers(env.client, settings, engine, threads=8):
            yield Harness(env, engine, settings, sandboxes)
    finally:
        engine.dispose()
        await env.shutdown()


def with_converter(client: Client, settings: Settings) -> Client:
    return Client(**{**client.config(), "data_converter": data_converter(settings)})


async def run_return(h: Harness):
    """A refund return to its end, with a free-text inspection note; its handle and final view."""
    inp = h.new_return()
    handle, _ = await submitted(h, inp)
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_1", "delivered"))
    await handle.signal(ReturnWorkflow.warehouse_receipt, receipt())
    items = [InspectedItem(line_id="L1", grade=Grade.A, notes=NOTE), InspectedItem(line_id="L2", grade=Grade.A)]
    await handle.execute_update(ReturnWorkflow.inspect, Inspection(items=items))
    return inp, handle, await handle.result()


async def test_with_keys_the_history_holds_only_encrypted_payloads_and_the_codec_reads_them(encrypted, sqlite_url):
    h = encrypted
    inp, handle, final = await run_return(h)
    assert final.status == "completed" and final.return_id == inp.return_id

    # Read as anyone with access to the cluster would, without the codec.
    plain = with_converter(h.client, Settings())
    history = await plain.get_workflow_handle(return_workflow_id(inp.return_id)).fetch_history()
    payloads = [p for e in history.events for p in payloads_in(e)]
    assert len(payloads) >= 15  # the input, every activity's arguments and results, signals, updates, the result
    assert {(p.metadata["encoding"], p.metadata["encryption-key-id"]) for p in payloads} == {
        (b"binary/encrypted", b"k1")
    }
    assert not [p for p in payloads if inp.return_id.encode() in p.data]
    raw = history_bytes(history)
    assert NOTE.encode() not in raw and b"TEE-BLK-M" not in raw  # the note and the order's SKUs
    with pytest.raises(Exception, match="binary/encrypted"):
        await plain.get_workflow_handle(return_workflow_id(inp.return_id)).result()

    # After rotation ("k2:...,k1:..."), the k1 history still reads and replays.
    rotated = Settings(payload_codec_keys=KEYS_K2_K1)
    rotated_client = with_converter(h.client, rotated)
    again = await rotated_client.get_workflow_handle_for(ReturnWorkflow.run, return_workflow_id(inp.return_id)).result()
    assert again.status == "completed" and again.refund.amount.amount == final.refund.amount.amount
    await Replayer(workflows=[ReturnWorkflow], data_converter=data_converter(rotated)).replay_workflow(history)

    # The Temporal UI's codec endpoint decodes what the worker wrote (from this machine, as make run's UI calls).
    app = api_alone(sqlite_url, payload_codec_keys=KEYS_K2_K1, admin_key=ADMIN_KEY)
    body = {"payloads": [json_format.MessageToDict(p) for p in payloads]}
    with TestClient(app, client=("127.0.0.1", 50123), base_url="http://127.0.0.1:8000") as api:
        r = api.post("/temporal-codec/decode", json=body, headers={"X-Namespace": "default"})
    assert r.status_code == 200
    decoded = [json_format.ParseDict(p, Payload()) for p in r.json()["payloads"]]
    assert len(decoded) == len(payloads)
    assert {p.metadata["encoding"] for p in decoded} >= {b"json/plain"}
    assert any(NOTE.encode() in p.data for p in decoded) and any(inp.return_id.encode() in p.data for p in decoded)
    with TestClient(app) as api:  # from elsewhere: only with the admin key
        assert api.post("/temporal-codec/decode", json=body).status_code == 401
        operator = {"Authorization": f"Bearer {ADMIN_KEY}"}
        assert api.post("/temporal-codec/decode", json=body, headers=operator).json() == r.json()


async def test_without_keys_histories_are_plain_json_as_before(harness):
    inp, handle, final = await run_return(harness)
    assert final.status == "completed"
    history = await handle.fetch_history()
    payloads = [p for e in history.events for p in payloads_in(e)]
    assert payloads and all(p.metadata["encoding"] in (b"json/plain", b"binary/null") for p in payloads)
    assert NOTE.encode() in history_bytes(history)
    assert any(inp.return_id.encode() in p.data for p in payloads)
