"""The EasyPost sandbox driven through the real `easypost` SDK (plus raw HTTP where the SDK hides it)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import easypost
import httpx
import pytest
from easypost.errors import (
    ApiError,
    EndOfPaginationError,
    InvalidRequestError,
    RateLimitError,
    ServiceUnavailableError,
    SignatureVerificationError,
    UnauthorizedError,
)
from easypost.errors import (
    TimeoutError as EasyPostTimeoutError,
)
from easypost.util import validate_webhook
from fastapi import FastAPI, Request, Response

from sandboxes.easypost.app import create_app
from sandboxes.easypost.rates import CARRIER_ACCOUNTS
from sandboxes.easypost.webhooks import sign
from sandboxes.serve import serve_in_thread

KEY = "EZTKreturnflowsandbox"
SECRET = "sécret-ω"  # non-ASCII on purpose: the key is NFKD-normalised before HMAC
from tests.polling import poll  # noqa: E402

EVENTS = Path(__file__).resolve().parents[1] / "fixtures" / "easypost" / "events"  # provenance: SOURCES.md there
FROM = {
    "name": "Jack Sparrow",
    "street1": "388 Townsend St",
    "street2": "Apt 20",
    "city": "San Francisco",
    "state": "CA",
    "zip": "94107",
    "country": "US",
}
TO = {
    "name": "Elizabeth Swan",
    "street1": "179 N Harbor Dr",
    "city": "Redondo Beach",
    "state": "CA",
    "zip": "90277",
    "country": "US",
}
PARCEL = {"length": 10, "width": 8, "height": 4, "weight": 15.4}


def wait_for(check: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    """Poll `check` until it returns something truthy, failing after `timeout` seconds."""
    return poll(check, bool, timeout, what)


class Receiver:
    """A webhook endpoint that records each request; answers the queued statuses first, then 200."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses = list(statuses or [])
        self.app = FastAPI()

        @self.app.post("/hook")
        async def hook(request: Request) -> Response:
            self.requests.append({"headers": dict(request.headers), "body": await request.body()})
            return Response(status_code=self.statuses.pop(0) if self.statuses else 200)

    def events(self, description: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if json.loads(r["body"])["description"] == description]


@pytest.fixture
def serve() -> Iterator[Callable[[Any], str]]:
    stops: list[Callable[[], None]] = []

    def start(app: Any) -> str:
        base, stop = serve_in_thread(app)
        stops.append(stop)
        return base

    yield start
    for stop in reversed(stops):
        stop()


class Sandbox:
    def __init__(self, base: str) -> None:
        self.base = base
        self.client = easypost.EasyPostClient(KEY, api_base=f"{base}/v2")
        self.http = httpx.Client(base_url=base, timeout=10)

    def stats(self) -> dict[str, int]:
        return self.http.get("/_sandbox/stats").json()

    def advance(self, key: str, **body: Any) -> dict[str, Any]:
        response = self.http.post(f"/_sandbox/trackers/{key}/advance", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def bought_shipment(self, **extra: Any) -> Any:
        shipment = self.client.shipment.create(to_address=TO, from_address=FROM, parcel=PARCEL, **extra)
        return self.client.shipment.buy(shipment.id, rate=shipment.lowest_rate())


@pytest.fixture
def start_sandbox(serve: Callable[[Any], str]) -> Callable[..., Sandbox]:
    def start(**kwargs: Any) -> Sandbox:
        return Sandbox(serve(create_app(**kwargs)))

    return start


@pytest.fixture
def sandbox(start_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return start_sandbox()


def _download(url: str) -> bytes:
    response = httpx.get(url)
    assert response.status_code == 200, url
    return response.content


# ---- shipments and labels --------------------------------------------------------------------


def test_return_label_create_buy_download_refund(sandbox: Sandbox) -> None:
    client = sandbox.client
    shipment = client.shipment.create(
        to_address=TO, from_address=FROM, parcel=PARCEL, is_return=True, reference="RMA-1001"
    )
    assert shipment.id.startswith("shp_") and len(shipment.id) == 36
    assert shipment.is_return is True and shipment.reference == "RMA-1001"
    offered = {(r.carrier, r.service) for r in shipment.rates}
    assert offered == {
        ("USPS", "GroundAdvantage"),
        ("USPS", "Priority"),
        ("USPS", "Express"),
        ("UPS", "Ground"),
        ("UPS", "2ndDayAir"),
        ("FedEx", "FEDEX_GROUND"),
        ("FedEx", "FEDEX_2_DAY"),
    }
    assert all(isinstance(r.rate, str) and r.delivery_days >= 1 for r in shipment.rates)
    lowest = shipment.lowest_rate()
    assert (lowest.carrier, lowest.service, lowest.rate) == ("USPS", "GroundAdvantage", "6.07")
    again = client.shipment.create(to_address=TO, from_address=FROM, parcel=PARCEL)
    assert sorted(r.rate for r in again.rates) == sorted(r.rate for r in shipment.rates)  # deterministic

    bought = client.shipment.buy(shipment.id, rate=lowest)
    assert bought.selected_rate.id == lowest.id and bought.tracking_code
    assert type(bought.tracker).__name__ == "Tracker" and bought.tracker.status == "unknown"
    assert bought.tracker.tracking_code == bought.tracking_code
    # A return label travels back to from_address.
    assert bought.tracker.carrier_detail.destination_location.startswith("SAN FRANCISCO")
    assert [(f.type, f.amount) for f in bought.fees] == [("LabelFee", "0.00000"), ("PostageFee", "6.07000")]
    label = bought.postage_label
    assert label.id.startswith("pl_") and label.label_url.startswith(sandbox.base + "/_files/labels/")
    assert _download(label.label_url).startswith(b"\x89PNG\r\n\x1a\n")
    pdf = client.shipment.label(shipment.id, file_format="PDF").postage_label.label_pdf_url
    assert _download(pdf).startswith(b"%PDF-") and _download(pdf).rstrip().endswith(b"%%EOF")
    zpl = client.shipment.label(shipment.id, file_format="ZPL").postage_label
    assert _download(zpl.label_zpl_url).startswith(b"^XA") and zpl.label_url == label.label_url
    epl2 = client.shipment.label(shipment.id, file_format="EPL2").postage_label.label_epl2_url
    assert bought.tracking_code.encode() in _download(epl2)

    assert client.shipment.refund(shipment.id).refund_status == "submitted"
    assert client.shipment.refund(shipment.id).refund_status == "submitted"  # idempotent
    refunded = client.shipment.retrieve(shipment.id)
    assert refunded.refund_status == "refunded"
    assert [f.refunded for f in refunded.fees if f.type == "PostageFee"] == [True]

    listed = sandbox.http.get("/_sandbox/shipments", params={"reference": "RMA-1001"}).json()
    assert [s["id"] for s in listed] == [shipment.id] and listed[0]["postage_label"]["id"] == label.id
    assert sandbox.stats() == {
        "shipments_created": 2,
        "labels_bought": 1,
        "label_refunds": 1,
        "trackers": 1,
        "webhook_deliveries": 0,
        "webhook_attempts": 0,
    }


def test_buying_twice_is_refused_and_buys_one_label(sandbox: Sandbox) -> None:
    shipment = sandbox.bought_shipment()
    with pytest.raises(InvalidRequestError) as caught:
        sandbox.client.shipment.buy(shipment.id, rate=shipment.rates[0])
    assert isinstance(caught.value, ApiError)
    assert caught.value.code == "SHIPMENT.POSTAGE.EXISTS" and caught.value.http_status == 422
    assert sandbox.stats()["labels_bought"] == 1


def test_buying_a_rate_of_another_shipment_is_refused(sandbox: Sandbox) -> None:
    first = sandbox.client.shipment.create(to_address=TO, from_address=FROM, parcel=PARCEL)
    second = sandbox.client.shipment.create(to_address=TO, from_address=FROM, parcel=PARCEL)
    with pytest.raises(InvalidRequestError) as caught:
        sandbox.client.shipment.buy(second.id, rate=first.lowest_rate())
    assert caught.value.code == "SHIPMENT.POSTAGE.FAILURE"
    assert sandbox.client.shipment.retrieve(second.id).postage_label is None


def test_one_call_buy_uses_the_named_carrier_account(sandbox: Sandbox) -> None:
    ups = CARRIER_ACCOUNTS["UPS"]["id"]
    assert ups in {a["id"] for a in sandbox.http.get("/v2/carrier_accounts", auth=(KEY, "")).json()}
    shipment = sandbox.client.shipment.create(
        to_address=TO, from_address=FROM, parcel=PARCEL, service="Ground", carrier_accounts=[ups]
    )
    assert shipment.selected_rate.carrier == "UPS" and shipment.tracking_code.startswith("1Z")
    assert {r.carrier for r in shipment.rates} == {"UPS"}
    with pytest.raises(InvalidRequestError):
        sandbox.client.shipment.create(
            to_address=TO, from_address=FROM, parcel=PARCEL, service="Ground", carrier_accounts=["ca_" + "0" * 32]
        )
    unknown = sandbox.client.shipment.create(
        to_address=TO, from_address=FROM, parcel=PARCEL, carrier_accounts=["ca_" + "0" * 32]
    )
    assert unknown.rates == [] and unknown.messages[0].type == "rate_error"


def test_shipment_list_pages_and_filters(sandbox: Sandbox) -> None:
    made = [
        sandbox.client.shipment.create(to_address=TO, from_address=FROM, parcel=PARCEL, reference=f"r{n}")
        for n in range(3)
    ]
    page = sandbox.client.shipment.all(page_size=2)
    assert [s.id for s in page["shipments"]] == [made[2].id, made[1].id] and page["has_more"] is True
    rest = sandbox.client.shipment.get_next_page(page, page_size=2)
    assert [s.id for s in rest["shipments"]] == [made[0].id] and rest["has_more"] is False
    with pytest.raises(EndOfPaginationError):
        sandbox.client.shipment.get_next_page(rest, page_size=2)
    assert [s.id for s in sandbox.client.shipment.all(reference="r1")["shipments"]] == [made[1].id]


# ---- auth and errors ------------------------------------------------------------------------------


def test_api_key_checks(sandbox: Sandbox) -> None:
    bad = easypost.EasyPostClient("EZTKnotakey", api_base=f"{sandbox.base}/v2")
    with pytest.raises(UnauthorizedError) as caught:
        bad.address.create(**FROM)
    assert caught.value.code == "APIKEY.INVALID"
    missing = sandbox.http.get("/v2/addresses")
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "APIKEY.REQUIRED"
    assert set(missing.json()["error"]) == {"code", "message", "errors"}
    assert sandbox.http.get("/v2/addresses", auth=(KEY, "")).status_code == 200  # Basic, key as user
    unknown = sandbox.http.get("/v2/no_such_thing", auth=(KEY, ""))
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "NOT_FOUND"
    blank = sandbox.http.post("/v2/shipments", json={"shipment": {}}, auth=(KEY, ""))
    assert blank.status_code == 422 and blank.json()["error"]["errors"] == [
        {"field": "shipment", "message": "cannot be blank"}
    ]


def test_address_verification_names_the_failing_field(sandbox: Sandbox) -> None:
    client = sandbox.client
    no_zip = {**FROM, "zip": ""}
    loose = client.address.create(verify=True, **no_zip)
    assert loose.verifications.delivery.success is False
    assert "zip" in {e.field for e in loose.verifications.delivery.errors}
    with pytest.raises(InvalidRequestError) as caught:
        client.address.create_and_verify(**no_zip)
    assert caught.value.code == "ADDRESS.VERIFY.FAILURE"
    assert {e["field"] for e in caught.value.errors} == {"address", "zip"}
    with pytest.raises(InvalidRequestError) as strict:
        client.address.create(verify_strict=True, **{**FROM, "street1": "Townsend St"})
    assert {e["field"] for e in strict.value.errors} == {"address", "street1"}
    stored = client.address.create(**{**FROM, "city": None})
    with pytest.raises(InvalidRequestError) as later:
        client.address.verify(stored.id)
    assert "city" in {e["field"] for e in later.value.errors}

    good = client.address.create_and_verify(**FROM)
    assert good.verifications.delivery.success is True
    assert good.street1 == "388 TOWNSEND ST APT 20" and good.zip.startswith("94107-")


# Recorded (test_address_create_verify*.yaml and the node create-and-verify HAR): the address
# api.easypost.com cannot find fails with E.ADDRESS.NOT_FOUND alone.
UNKNOWN = {
    "company": "EasyPost",
    "street1": "000 unknown street",
    "city": "Not A City",
    "state": "ZZ",
    "zip": "00001",
    "country": "US",
}
NOT_FOUND_ONLY = [
    {"code": "E.ADDRESS.NOT_FOUND", "field": "address", "message": "Address not found", "suggestion": None}
]


def test_an_address_that_cannot_be_found_fails_as_recorded(sandbox: Sandbox) -> None:
    client = sandbox.client
    with pytest.raises(InvalidRequestError) as caught:
        client.address.create_and_verify(**UNKNOWN)
    assert caught.value.http_status == 422 and caught.value.code == "ADDRESS.VERIFY.FAILURE"
    assert caught.value.errors == NOT_FOUND_ONLY
    loose = client.address.create(verify=True, **UNKNOWN)
    assert loose.verifications.delivery.success is False
    assert [e.to_dict() for e in loose.verifications.delivery.errors] == NOT_FOUND_ONLY
    carrier = client.address.create_and_verify(verify_carrier="UPS", **UNKNOWN)  # recorded: success, error listed
    assert carrier.verifications.delivery.success is True and carrier.verifications.verify_carrier == "ups"
    # Deterministic: a real-looking address with house number 0 is not found either.
    with pytest.raises(InvalidRequestError) as again:
        client.address.create_and_verify(**{**FROM, "street1": "0 Townsend St"})
    assert again.value.errors == NOT_FOUND_ONLY


def test_house_numbers_may_follow_the_street_outside_the_us(sandbox: Sandbox) -> None:
    client = sandbox.client
    dutch = {"name": "Noor de Vries", "street1": "Damrak 1", "city": "Amsterdam", "zip": "1012 LG", "country": "NL"}
    assert client.address.create_and_verify(**dutch).verifications.delivery.success is True
    with pytest.raises(InvalidRequestError) as caught:
        client.address.create_and_verify(**{**dutch, "street1": "Damrak"})
    assert {e["field"] for e in caught.value.errors} == {"address", "street1"}
    with pytest.raises(InvalidRequestError) as us:  # in the US the number leads
        client.address.create_and_verify(**{**FROM, "street1": "Townsend St 388"})
    assert {e["field"] for e in us.value.errors} == {"address", "street1"}


# ---- pickups, trackers, refunds ---------------------------------------------------------------------


def test_pickup_lifecycle(sandbox: Sandbox) -> None:
    client = sandbox.client
    unbought = client.shipment.create(to_address=TO, from_address=FROM, parcel=PARCEL)
    window = {
        "address": FROM,
        "min_datetime": "2030-03-08",
        "max_datetime": "2030-03-09T17:00:00Z",
        "instructions": "Front desk",
    }
    with pytest.raises(InvalidRequestError):
        client.pickup.create(shipment=unbought, **window)
    pickup = client.pickup.create(shipment=sandbox.bought_shipment(), **window)
    assert pickup.status == "unknown" and pickup.confirmation is None
    assert pickup.min_datetime == "2030-03-08T00:00:00Z"
    rate = pickup.lowest_rate()
    assert type(rate).__name__ == "PickupRate"
    assert (rate.carrier, rate.service, rate.rate) == ("USPS", "NextDay", "0.00")
    with pytest.raises(InvalidRequestError):
        client.pickup.buy(pickup.id, carrier="USPS", service="SameDay")
    scheduled = client.pickup.buy(pickup.id, carrier=rate.carrier, service=rate.service)
    assert scheduled.status == "scheduled" and scheduled.confirmation.startswith("WTC")
    assert client.pickup.cancel(pickup.id).status == "canceled"
    assert client.pickup.retrieve(pickup.id).status == "canceled"


@pytest.mark.parametrize(
    "code,status",
    [
        ("EZ1000000001", "pre_transit"),
        ("EZ2000000002", "in_transit"),
        ("EZ3000000003", "out_for_delivery"),
        ("EZ4000000004", "delivered"),
        ("EZ5000000005", "return_to_sender"),
        ("EZ6000000006", "failure"),
        ("EZ7000000007", "unknown"),
    ],
)
def test_test_tracking_codes_report_their_documented_status(sandbox: Sandbox, code: str, status: str) -> None:
    tracker = sandbox.client.tracker.create(tracking_code=code, carrier="USPS")
    assert tracker.id.startswith("trk_") and tracker.status == status
    details = tracker.tracking_details
    assert [d.datetime for d in details] == sorted(d.datetime for d in details)  # oldest first
    assert (details[-1].status if details else "unknown") == status
    assert sandbox.client.tracker.create(tracking_code=code, carrier="USPS").id == tracker.id  # deduped
    assert [t.id for t in sandbox.client.tracker.all(tracking_codes=[code])["trackers"]] == [tracker.id]
    sandbox.client.tracker.delete(tracker.id)
    with pytest.raises(ApiError):
        sandbox.client.tracker.retrieve(tracker.id)


def test_advancing_moves_tracker_and_shipment_and_blocks_refunds(sandbox: Sandbox) -> None:
    shipment = sandbox.bought_shipment()
    steps = [sandbox.advance(shipment.tracker.id)["event"]["result"]["status"] for _ in range(4)]
    assert steps == ["pre_transit", "in_transit", "out_for_delivery", "delivered"]
    assert sandbox.http.post(f"/_sandbox/trackers/{shipment.tracker.id}/advance").status_code == 422
    tracker = sandbox.client.tracker.retrieve(shipment.tracker.id)
    assert [d.status for d in tracker.tracking_details] == steps and tracker.status_detail == "arrived_at_destination"
    assert tracker.tracking_details[-1].tracking_location.city == "REDONDO BEACH"
    assert sandbox.client.shipment.retrieve(shipment.id).status == "delivered"
    assert sandbox.client.shipment.refund(shipment.id).refund_status == "rejected"  # label was used
    assert sandbox.stats()["label_refunds"] == 0
    other = sandbox.bought_shipment()
    event = sandbox.advance(
        other.tracking_code, status="available_for_pickup", status_detail="arrived_at_pickup_location"
    )
    assert event["event"]["previous_attributes"] == {"status": "unknown"}
    assert event["event"]["result"]["status_detail"] == "arrived_at_pickup_location"
    lost = sandbox.http.post(f"/_sandbox/trackers/{other.tracker.id}/advance", json={"status": "lost"})
    assert lost.status_code == 422


def test_bulk_refunds(sandbox: Sandbox) -> None:
    shipment = sandbox.bought_shipment()
    made = sandbox.client.refund.create(
        carrier="USPS", tracking_codes=[shipment.tracking_code, "9400000000000000000000"]
    )
    assert [(type(r).__name__, r.status) for r in made] == [("Refund", "submitted"), ("Refund", "rejected")]
    assert made[0].shipment_id == shipment.id
    assert sandbox.client.refund.retrieve(made[0].id).status == "refunded"
    assert sandbox.client.shipment.retrieve(shipment.id).refund_status == "refunded"
    assert [r.id for r in sandbox.client.refund.all(page_size=5)["refunds"]] == [made[1].id, made[0].id]


# ---- webhooks ---------------------------------------------------------------------------------------------


def test_tracker_update_is_delivered_signed(start_sandbox: Callable[..., Sandbox], serve: Callable[[Any], str]) -> None:
    receiver = Receiver()
    url = serve(receiver.app) + "/hook"
    sandbox = start_sandbox(webhook_url=url, webhook_secret=SECRET)
    shipment = sandbox.bought_shipment()
    answer = sandbox.advance(shipment.tracker.id)
    assert answer["deliveries"] == [{"url": url, "status_code": 200}]
    assert answer["event"]["completed_urls"] == [url] and answer["event"]["pending_urls"] == []
    [delivery] = receiver.events("tracker.updated")  # synchronous: already there
    headers = {"X-Hmac-Signature": delivery["headers"]["x-hmac-signature"]}  # the SDK looks up this exact key
    event = validate_webhook(delivery["body"], headers, SECRET)
    assert delivery["headers"]["content-type"] == "application/json"
    assert event["id"] == answer["event"]["id"] and event["object"] == "Event"
    assert event["previous_attributes"] == {"status": "unknown"}
    assert event["result"]["id"] == shipment.tracker.id and event["result"]["status"] == "pre_transit"
    assert event["result"]["tracking_details"][-1]["tracking_location"]["object"] == "TrackingLocation"
    with pytest.raises(SignatureVerificationError):
        validate_webhook(delivery["body"], headers, "wrong secret")
    created = wait_for(lambda: receiver.events("tracker.created"), "tracker.created delivery")
    validate_webhook(created[0]["body"], {"X-Hmac-Signature": created[0]["headers"]["x-hmac-signature"]}, SECRET)

    listed = sandbox.client.event.all(page_size=5)["events"]
    assert listed[0].id == event["id"] and listed[0].description == "tracker.updated"
    assert "result" not in listed[0].to_dict()  # over the API events carry no result (as recorded)
    payloads = sandbox.client.event.retrieve_all_payloads(event["id"])["payloads"]
    assert [(p.request_url, p.response_code) for p in payloads] == [(url, 200)]


def test_failed_delivery_is_retried_in_the_background(
    start_sandbox: Callable[..., Sandbox], serve: Callable[[Any], str]
) -> None:
    receiver = Receiver()
    url = serve(receiver.app) + "/hook"
    sandbox = start_sandbox(webhook_url=url, webhook_secret=SECRET)
    tracker = sandbox.client.tracker.create(tracking_code="EZ1000000001", carrier="USPS")
    wait_for(lambda: sandbox.client.event.all(page_size=1)["events"][0].status == "completed", "tracker.created")
    receiver.statuses = [500]  # fail the next delivery once
    answer = sandbox.advance(tracker.id, status="in_transit")
    assert answer["deliveries"] == [{"url": url, "status_code": 500}]
    event_id = answer["event"]["id"]
    assert answer["event"]["pending_urls"] == [url]
    done = wait_for(lambda: sandbox.client.event.retrieve(event_id).completed_urls, "the retry to succeed")
    assert done == [url] and sandbox.client.event.retrieve(event_id).status == "completed"
    attempts = receiver.events("tracker.updated")
    assert len(attempts) == 2
    for attempt in attempts:
        validate_webhook(attempt["body"], {"X-Hmac-Signature": attempt["headers"]["x-hmac-signature"]}, SECRET)


def test_registered_webhooks_get_their_own_secret_and_headers(sandbox: Sandbox, serve: Callable[[Any], str]) -> None:
    receiver = Receiver()
    url = serve(receiver.app) + "/hook"
    hook = sandbox.client.webhook.create(
        url=url, webhook_secret="hook-secret", custom_headers=[{"name": "X-Team", "value": "returns"}]
    )
    assert hook.id.startswith("hook_") and "webhook_secret" not in hook.to_dict()
    assert [h.id for h in sandbox.client.webhook.all()["webhooks"]] == [hook.id]
    shipment = sandbox.bought_shipment()
    sandbox.advance(shipment.tracker.id)
    [delivery] = receiver.events("tracker.updated")
    assert delivery["headers"]["x-team"] == "returns"
    validate_webhook(delivery["body"], {"X-Hmac-Signature": delivery["headers"]["x-hmac-signature"]}, "hook-secret")
    sandbox.client.webhook.delete(hook.id)
    assert sandbox.advance(shipment.tracker.id)["deliveries"] == []
    for bad in ({}, {"url": "example.com/no-scheme"}):
        with pytest.raises(InvalidRequestError):
            sandbox.client.webhook.create(**bad)


def test_webhook_target_can_change_at_run_time(sandbox: Sandbox, serve: Callable[[Any], str]) -> None:
    receiver = Receiver()
    url = serve(receiver.app) + "/hook"
    shipment = sandbox.bought_shipment()
    assert sandbox.advance(shipment.tracker.id)["deliveries"] == []
    config = sandbox.http.put("/_sandbox/config", json={"webhook_url": url, "webhook_secret": SECRET}).json()
    assert config == {"webhook_url": url, "webhook_secret_set": True}
    assert sandbox.advance(shipment.tracker.id)["deliveries"] == [{"url": url, "status_code": 200}]


def test_signature_matches_easypost_known_answer() -> None:
    fixture = json.loads((EVENTS / "client-library-fixtures.json").read_text())["webhooks"]
    body = json.dumps(json.loads((EVENTS / "event-body.json").read_text()), separators=(",", ":")).encode()
    assert sign(body, fixture["secret"]) == fixture["hmac_signature"]


# ---- faults ---------------------------------------------------------------------------------------------


def test_injected_server_error_buys_nothing(start_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = start_sandbox(faults='{"POST /v2/shipments/*/buy": {"error_rate": 1.0, "status": 503}}')
    shipment = sandbox.client.shipment.create(to_address=TO, from_address=FROM, parcel=PARCEL)
    with pytest.raises(ServiceUnavailableError) as caught:
        sandbox.client.shipment.buy(shipment.id, rate=shipment.lowest_rate())
    assert caught.value.code == "SERVICE_UNAVAILABLE"
    assert sandbox.client.shipment.retrieve(shipment.id).postage_label is None
    assert sandbox.stats()["labels_bought"] == 0
    assert sandbox.http.delete("/_sandbox/faults").status_code == 200
    assert sandbox.client.shipment.buy(shipment.id, rate=shipment.lowest_rate()).postage_label is not None


def test_after_execute_fault_loses_the_answer_of_a_buy_that_bought(sandbox: Sandbox) -> None:
    spec = {"POST /v2/shipments/*/buy": {"error_rate": 1.0, "status": 502, "after_execute": True, "max_faults": 1}}
    assert sandbox.http.put("/_sandbox/faults", json=spec).status_code == 200
    shipment = sandbox.client.shipment.create(to_address=TO, from_address=FROM, parcel=PARCEL)
    with pytest.raises(ApiError) as caught:
        sandbox.client.shipment.buy(shipment.id, rate=shipment.lowest_rate())
    assert caught.value.http_status == 502 and caught.value.code == "BAD_GATEWAY"
    # The label was bought all the same; buying again is refused as for any bought shipment.
    assert sandbox.client.shipment.retrieve(shipment.id).postage_label is not None
    assert sandbox.stats()["labels_bought"] == 1
    with pytest.raises(ApiError) as again:
        sandbox.client.shipment.buy(shipment.id, rate=shipment.lowest_rate())
    assert again.value.code == "SHIPMENT.POSTAGE.EXISTS"
    assert sandbox.stats()["labels_bought"] == 1
    bad = sandbox.http.put("/_sandbox/faults", json={"*": {"after_execute": "yes"}})
    assert bad.status_code == 400 and "after_execute" in bad.json()["error"]["message"]


def test_rate_limit_fault_raises_rate_limit_error(sandbox: Sandbox) -> None:
    assert sandbox.http.put("/_sandbox/faults", json={"*": {"rate_limit_rate": 1.0}}).status_code == 200
    with pytest.raises(RateLimitError) as caught:
        sandbox.client.shipment.create(to_address=TO, from_address=FROM, parcel=PARCEL)
    assert caught.value.code == "RATE_LIMITED" and caught.value.http_status == 429
    assert sandbox.stats()["shipments_created"] == 0
    bad = sandbox.http.put("/_sandbox/faults", json={"*": {"eror_rate": 1.0}})
    assert bad.status_code == 400 and "eror_rate" in bad.json()["error"]["message"]


def test_fault_draws_are_seeded_and_reproducible(start_sandbox: Callable[..., Sandbox]) -> None:
    spec = json.dumps({"seed": 42, "GET /v2/addresses": {"error_rate": 0.5, "status": 500, "max_faults": 6}})
    outcomes = []
    for _ in range(2):
        sandbox = start_sandbox(faults=spec)
        outcomes.append([sandbox.http.get("/v2/addresses", auth=(KEY, "")).status_code for _ in range(20)])
    assert outcomes[0] == outcomes[1]
    assert outcomes[0].count(500) == 6 and outcomes[0][-1] == 200  # max_faults: then it works


def test_latency_and_timeout_faults(sandbox: Sandbox) -> None:
    sandbox.http.put(
        "/_sandbox/faults",
        json={
            "GET /v2/addresses": {"latency_ms": 200},
            "POST /v2/shipments": {"timeout_rate": 1.0, "timeout_ms": 1500},
        },
    )
    started = time.monotonic()
    sandbox.client.address.all()
    assert time.monotonic() - started >= 0.2
    impatient = easypost.EasyPostClient(KEY, api_base=f"{sandbox.base}/v2", timeout=0.3)
    with pytest.raises(EasyPostTimeoutError):
        impatient.shipment.create(to_address=TO, from_address=FROM, parcel=PARCEL)
    sandbox.http.delete("/_sandbox/faults")
    assert sandbox.stats()["shipments_created"] == 0


# ---- the command line ----------------------------------------------------------------------------------


def test_cli_reads_keys_from_environment() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "RETURNFLOW_EASYPOST_SANDBOX_KEYS": "EZTKone, EZTKtwo",
        "RETURNFLOW_EASYPOST_SANDBOX_FAULTS": '{"GET /v2/parcels/*": {"error_rate": 1.0}}',
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandboxes.easypost", "--port", str(port)],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                return httpx.get(f"{base}/_sandbox/stats").status_code == 200
            except httpx.TransportError:
                return False

        wait_for(up, "the CLI sandbox to answer", timeout=20)
        assert httpx.get(f"{base}/v2/addresses", auth=("EZTKtwo", "")).status_code == 200
        assert httpx.get(f"{base}/v2/addresses", auth=(KEY, "")).status_code == 401
        assert httpx.get(f"{base}/v2/parcels/prcl_x", auth=("EZTKone", "")).status_code == 503
    finally:
        proc.terminate()
        proc.wait(timeout=10)
