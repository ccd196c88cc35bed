"""A sandbox given a data dir and restarted on it still knows everything it made before.

Each test runs a sandbox, stops it (its process gone, as far as state goes: a new app instance reads
only the folder), starts a new one on the same folder and talks to it through the real SDKs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import easypost
import httpx
import pytest
import stripe

from sandboxes.easypost.app import create_app as easypost_app
from sandboxes.payments.app import create_app as payments_app
from sandboxes.serve import serve_in_thread
from tests.conftest import free_port
from tests.polling import poll

EP_KEY = "EZTKreturnflowsandbox"
PAY_KEY = "sk_test_returnflow_sandbox"
ROOT = Path(__file__).resolve().parents[2]
FROM = {
    "name": "Warehouse",
    "street1": "388 Townsend St",
    "city": "San Francisco",
    "state": "CA",
    "zip": "94107",
    "country": "US",
}
TO = {
    "name": "Sam Shopper",
    "street1": "179 N Harbor Dr",
    "city": "Redondo Beach",
    "state": "CA",
    "zip": "90277",
    "country": "US",
}


@pytest.fixture
def serve() -> Iterator[Callable[[Any], tuple[str, Callable[[], None]]]]:
    """Serve an app in a thread; the returned stop() ends it (and its lifespan) before the next one."""
    stops: list[Callable[[], None]] = []

    def start(app: Any) -> tuple[str, Callable[[], None]]:
        url, stop = serve_in_thread(app)
        stops.append(stop)
        return url, stop

    yield start
    for stop in stops:
        stop()


def easypost_client(url: str) -> easypost.EasyPostClient:
    return easypost.EasyPostClient(EP_KEY, api_base=f"{url}/v2")


def stripe_client(url: str) -> stripe.StripeClient:
    return stripe.StripeClient(PAY_KEY, base_addresses={"api": url}, max_network_retries=0)


def test_easypost_sandbox_restarted_on_its_folder_keeps_shipments_trackers_pickups_and_label_files(serve, tmp_path):
    first, stop = serve(easypost_app(data_dir=tmp_path))
    client = easypost_client(first)
    shipment = client.shipment.create(
        to_address=TO,
        from_address=FROM,
        parcel={"weight": 12},
        is_return=True,
        reference="RMA-restart",
        options={"label_format": "PDF"},
    )
    shipment = client.shipment.buy(shipment.id, rate=shipment.lowest_rate())
    pickup = client.pickup.create(
        shipment=shipment, address=FROM, reference="RMA-restart", min_datetime="2031-01-02", max_datetime="2031-01-03"
    )
    advanced = httpx.post(f"{first}/_sandbox/trackers/{shipment.tracking_code}/advance").json()
    assert advanced["event"]["result"]["status"] == "pre_transit"
    label = httpx.get(shipment.postage_label.label_url)
    assert label.status_code == 200 and label.content.startswith(b"%PDF")
    on_disk = list((tmp_path / "labels").iterdir())
    assert [p.name for p in on_disk] == [f"{shipment.postage_label.id}.pdf"]
    stats = httpx.get(f"{first}/_sandbox/stats").json()
    stop()

    second, _ = serve(easypost_app(data_dir=tmp_path))
    client = easypost_client(second)
    again = client.shipment.retrieve(shipment.id)
    assert (again.tracking_code, again.postage_label.id, again.selected_rate.id) == (
        shipment.tracking_code,
        shipment.postage_label.id,
        shipment.selected_rate.id,
    )
    assert again.tracker.status == "pre_transit" and again.status == "pre_transit"
    assert client.pickup.retrieve(pickup.id).reference == "RMA-restart"
    assert httpx.get(f"{second}/_sandbox/stats").json() == stats  # counters carry on too
    # The label file is the same bytes, served from the data dir under the URL the client was given.
    path = shipment.postage_label.label_url.removeprefix(first)
    assert httpx.get(f"{second}{path}").content == label.content == on_disk[0].read_bytes()
    # And the tracker moves on from where it was, its shipment with it.
    moved = httpx.post(f"{second}/_sandbox/trackers/{shipment.tracking_code}/advance").json()
    assert moved["event"]["result"]["status"] == "in_transit"
    assert [
        s["status"] for s in httpx.get(f"{second}/_sandbox/shipments", params={"reference": "RMA-restart"}).json()
    ] == ["in_transit"]
    # A label bought again is refused: the sandbox remembers the first purchase.
    with pytest.raises(easypost.errors.ApiError):
        client.shipment.buy(shipment.id, rate=shipment.lowest_rate())


def test_payments_sandbox_restarted_on_its_folder_keeps_intents_refunds_and_idempotency_keys(serve, tmp_path):
    first, stop = serve(payments_app(data_dir=tmp_path))
    client = stripe_client(first)
    pi = client.v1.payment_intents.create(
        params={"amount": 13999, "currency": "usd", "confirm": True, "metadata": {"order": "o-1"}}
    )
    refund = client.v1.refunds.create(
        params={"payment_intent": pi.id, "amount": 5000, "metadata": {"return_id": "r-1"}},
        options={"idempotency_key": "return-r-1-refund"},
    )
    pending_pi = client.v1.payment_intents.create(
        params={"amount": 2000, "currency": "usd", "confirm": True, "payment_method": "pm_card_refund_pending"}
    )
    pending = client.v1.refunds.create(params={"payment_intent": pending_pi.id})
    assert client.v1.refunds.retrieve(pending.id).status == "pending"  # 1st of the 2 retrieves that settle it
    stop()

    second, _ = serve(payments_app(data_dir=tmp_path))
    client = stripe_client(second)
    assert client.v1.payment_intents.retrieve(pi.id).to_dict() == pi.to_dict()
    # The retried request (same key) gets the stored refund, not a second one.
    retried = client.v1.refunds.create(
        params={"payment_intent": pi.id, "amount": 5000, "metadata": {"return_id": "r-1"}},
        options={"idempotency_key": "return-r-1-refund"},
    )
    assert retried.id == refund.id and retried.last_response.headers.get("Idempotent-Replayed") == "true"
    listed = httpx.get(
        f"{second}/_sandbox/refunds",
        params={"metadata_key": "return_id", "metadata_value": "r-1"},
    ).json()
    assert [(r["id"], r["amount"]) for r in listed] == [(refund.id, 5000)]
    # What is left to refund counts the refund made before the restart.
    with pytest.raises(stripe.InvalidRequestError, match="greater than unrefunded"):
        client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 9000})
    # A pending refund keeps its count of retrieves: the 2nd one, after the restart, settles it.
    assert client.v1.refunds.retrieve(pending.id).status == "succeeded"
    newer = client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 1})
    assert [r.id for r in client.v1.refunds.list(params={"limit": 3})] == [
        newer.id,
        pending.id,
        refund.id,
    ]


def test_payments_reset_forgets_the_folder_too(serve, tmp_path):
    first, stop = serve(payments_app(data_dir=tmp_path))
    pi = stripe_client(first).v1.payment_intents.create(params={"amount": 100, "currency": "usd", "confirm": True})
    assert httpx.post(f"{first}/_sandbox/reset").status_code == 200
    stop()
    second, _ = serve(payments_app(data_dir=tmp_path))
    with pytest.raises(stripe.InvalidRequestError, match="No such payment_intent"):
        stripe_client(second).v1.payment_intents.retrieve(pi.id)


@contextlib.contextmanager
def sandbox_process(module: str, port: int, data_dir: Path) -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "--port", str(port), "--data-dir", str(data_dir)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        poll(
            lambda: _answers(f"http://127.0.0.1:{port}/_sandbox/stats"),
            bool,
            30,
            f"{module} to answer",
        )
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_a_sandbox_process_killed_outright_keeps_what_it_answered(tmp_path):
    """SIGKILL, no shutdown: whatever a client was answered was already on disk."""
    ep_port, pay_port = free_port(), free_port()
    ep, pay = f"http://127.0.0.1:{ep_port}", f"http://127.0.0.1:{pay_port}"
    with (
        sandbox_process("sandboxes.easypost", ep_port, tmp_path / "easypost") as ep_proc,
        sandbox_process("sandboxes.payments", pay_port, tmp_path / "payments") as pay_proc,
    ):
        shipment = easypost_client(ep).shipment.create(to_address=TO, from_address=FROM, parcel={"weight": 3})
        shipment = easypost_client(ep).shipment.buy(shipment.id, rate=shipment.lowest_rate())
        label = httpx.get(shipment.postage_label.label_url).content
        pi = stripe_client(pay).v1.payment_intents.create(params={"amount": 700, "currency": "usd", "confirm": True})
        os.killpg(ep_proc.pid, signal.SIGKILL)
        os.killpg(pay_proc.pid, signal.SIGKILL)
    with (
        sandbox_process("sandboxes.easypost", ep_port, tmp_path / "easypost"),
        sandbox_process("sandboxes.payments", pay_port, tmp_path / "payments"),
    ):
        assert easypost_client(ep).shipment.retrieve(shipment.id).tracking_code == shipment.tracking_code
        assert httpx.get(shipment.postage_label.label_url).content == label
        assert stripe_client(pay).v1.payment_intents.retrieve(pi.id).status == "succeeded"
