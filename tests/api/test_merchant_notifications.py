"""GET/PUT /v1/merchant/notifications and GET /v1/returns/{id}/notifications on the real app (no Temporal):
the switches (defaults on, a partial PUT, the unknown kind named), scopes, and a return's emails and events as
the outbox and the mailer left them (a refused address: refused with its SMTP code, the rest suppressed)."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from db import outbox
from db.seed import ensure_key, seed_merchant
from db.session import session_scope
from db.tables import WebhookEndpoint
from domain.notifications import Announcement, EventType, MailKind
from tests.activities.shopper_mail_setup import T0, branded_return, mailer
from tests.activities.test_email import _setup
from tests.api import test_merchant_settings_api as settings_api
from tests.api.alone import api_alone

H = settings_api.H
client = settings_api.client  # the fixture: the merchant `fiets` with a key of each scope


def test_every_email_is_on_until_the_merchant_switches_it_off(client):
    r = client.get("/v1/merchant/notifications", headers=H["read"])
    assert r.status_code == 200
    assert r.json() == {"emails": {kind.value: True for kind in MailKind}}

    r = client.put(
        "/v1/merchant/notifications",
        json={"emails": {"label_reminder": False, "received": False}},
        headers=H["merchant"],
    )
    assert r.status_code == 200, r.text
    expected = {kind.value: kind not in (MailKind.LABEL_REMINDER, MailKind.RECEIVED) for kind in MailKind}
    assert r.json()["emails"] == expected
    # A partial map: what is not named stays as it was.
    client.put("/v1/merchant/notifications", json={"emails": {"received": True}}, headers=H["merchant"])
    saved = client.get("/v1/merchant/notifications", headers=H["ops"]).json()["emails"]
    assert saved["label_reminder"] is False and saved["received"] is True and saved["refund_sent"] is True


def test_an_unknown_kind_or_a_value_not_true_or_false_is_refused_and_named(client):
    r = client.put("/v1/merchant/notifications", json={"emails": {"newsletter": False}}, headers=H["merchant"])
    assert r.status_code == 422
    assert "newsletter" in r.text and r.json()["error"]["code"]
    r = client.put("/v1/merchant/notifications", json={"emails": {"received": "no"}}, headers=H["merchant"])
    assert r.status_code == 422 and "received" in r.text
    r = client.put("/v1/merchant/notifications", json={"emails": []}, headers=H["merchant"])
    assert r.status_code == 422
    assert client.get("/v1/merchant/notifications", headers=H["read"]).json()["emails"]["received"] is True


def test_only_the_merchant_key_switches_and_the_warehouse_does_not_read(client):
    for scope in ("ops", "read", "warehouse"):
        r = client.put("/v1/merchant/notifications", json={"emails": {"received": False}}, headers=H[scope])
        assert r.status_code == 403, scope
    assert client.get("/v1/merchant/notifications", headers=H["warehouse"]).status_code == 403
    assert client.get("/v1/merchant/notifications").status_code == 401


@pytest.fixture
def mail(sqlite_url, sandboxes):
    yield from _setup(sqlite_url, sandboxes)


def test_a_returns_notifications_show_each_email_and_event_never_the_address(mail, sqlite_url):
    s = mail
    shop = branded_return(s, language="nl", local="bounce")
    key = f"rf_test_notify_{uuid.uuid4().hex}"
    other_key = f"rf_test_notify_{uuid.uuid4().hex}"
    with session_scope(s.engine) as session:
        ensure_key(session, shop.merchant_id, "read", key)
        session.add(
            WebhookEndpoint(id="we_1", merchant_id=shop.merchant_id, url="https://hooks.example/in", secret="whsec_x")
        )
    seed_merchant(s.engine, merchant_id="other", name="Other", merchant_key=other_key, warehouse_key=f"{other_key}_w")
    announced = [
        Announcement(key="return.in_transit", event=EventType.RETURN_IN_TRANSIT),
        Announcement(key="mail:in_transit", mail=MailKind.IN_TRANSIT),
        Announcement(key="mail:received", mail=MailKind.RECEIVED),
    ]
    with session_scope(s.engine) as session:
        outbox.keep(session, shop.merchant_id, shop.return_id, "in_transit", announced, {"id": shop.return_id}, T0)
    mailer(s).send_due(T0)  # the address is refused: the first refused, the second suppressed

    with TestClient(api_alone(sqlite_url)) as api:
        r = api.get(f"/v1/returns/{shop.return_id}/notifications", headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 200, r.text
        body = r.json()
        first, second = body["emails"]
        assert (first["kind"], first["status"], first["smtp_code"], first["sent_at"]) == (
            "in_transit",
            "refused",
            550,
            None,
        )
        assert "550" in first["last_error"]
        assert (second["kind"], second["status"]) == ("received", "suppressed")
        [event] = body["events"]
        assert event["type"] == "return.in_transit" and event["id"]
        assert [(d["endpoint_id"], d["status"], d["attempts"]) for d in event["deliveries"]] == [("we_1", "pending", 0)]
        assert shop.email not in r.text and "bounce" not in r.text and "Sam Shopper" not in r.text

        # Another merchant's key does not find it; a return that does not exist is a 404 too.
        other = {"Authorization": f"Bearer {other_key}"}
        r = api.get(f"/v1/returns/{shop.return_id}/notifications", headers=other)
        assert r.status_code == 404 and r.json()["error"]["code"] == "return_not_found"
        r = api.get("/v1/returns/ret_nope/notifications", headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 404
