"""No customer data in URLs or logs: a full return (label email, portal, store credit, redeem) and a
label email the shopper's server keeps refusing, for shoppers with distinctive data; then every log
file the embedded stack writes (data_dir/logs/*) is searched for their emails, names, streets, phones.

Also searched: the shared test shopper (tests.factories.CUSTOMER) that the other integration tests
of this session used, so whatever ran before this test leaked nothing either.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.factories import CUSTOMER, create_payment, order_body
from tests.integration.conftest import Running, poll
from tests.integration.test_end_to_end import advance, wait_status

pytestmark = pytest.mark.integration

LINE = {
    "id": "L1",
    "sku": "TEE-BLK-M",
    "title": "T-shirt",
    "quantity": 1,
    "unit_price": 2500,
    "category": "apparel",
}


def shopper(local_part: str) -> dict:
    tag = uuid.uuid4().hex[:6]
    name = f"Quilla Zorbatrix{tag}"
    address = {
        "name": name,
        "street1": f"8817 Wisteriahollow{tag} Lane",
        "street2": f"Apt Vermillion{tag}",
        "city": "San Francisco",
        "state": "CA",
        "zip": "94107",
        "country": "US",
        "phone": "4155550199",
    }
    return {
        "email": f"{local_part}@zorbatrix-{tag}.example",
        "name": name,
        "address": address,
    }


def secrets_of(customer: dict) -> list[str]:
    """What must never be in a log: the email (as typed and URL-encoded), name, street, phone."""
    email, address = customer["email"], customer["address"]
    street = [
        address["street1"],
        address["street1"].split()[1],
        address.get("street2") or address["street1"],
    ]
    return [email, quote(email, safe=""), customer["name"], *street, address["phone"]]


def logs(run: Running) -> dict[Path, str]:
    files = sorted(p for p in (run.settings.data_dir / "logs").rglob("*") if p.is_file())
    return {p: p.read_text(errors="replace") for p in files}


def leaks(run: Running, needles: list[str]) -> list[str]:
    found = []
    for path, text in logs(run).items():
        for needle in needles:
            for match in re.finditer(re.escape(needle), text, flags=re.IGNORECASE):
                start = text.rfind("\n", 0, match.start()) + 1
                found.append(f"{path.name}: {needle!r} in {text[start : start + 300]!r}")
    return found


def create(run: Running, customer: dict, resolution: str) -> dict:
    pi = create_payment(run.settings.stripe_base_url, amount=LINE["unit_price"])
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    order = order_body(pi, lines=[LINE], customer=customer)
    r = run.api.put(f"/v1/orders/{order_id}", json=order, headers=run.merchant())
    assert r.status_code == 201, r.text
    item = {"line_id": "L1", "quantity": 1, "reason": "too_small"}
    body = {"order_id": order_id, "items": [item], "resolution": resolution}
    headers = {**run.merchant(), "Idempotency-Key": f"logs-{uuid.uuid4().hex}"}
    r = run.api.post("/v1/returns", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def label_emails(run: Running, email: str, tracking: str) -> list[dict]:
    """As a developer would look: by the address in the URL (the mail sandbox logs it as [email])."""
    inbox = run.mail.get("/_sandbox/messages", params={"to": email, "content": "false"}).json()
    return [m for m in inbox if tracking in m["text"]]


def complete(run: Running, ret: dict) -> dict:
    """Through the carrier, the dock and inspection to the end."""
    tracking = ret["label"]["tracking_code"]
    for status in ("in_transit", "out_for_delivery", "delivered"):
        advance(run, tracking, status)
    wait_status(run, ret["id"], "delivered")
    r = run.api.post(
        "/v1/warehouse/receipts",
        json={"tracking_code": tracking},
        headers=run.warehouse(),
    )
    assert r.status_code == 202, r.text
    wait_status(run, ret["id"], "received")
    inspection = {"items": [{"line_id": "L1", "grade": "A"}]}
    r = run.api.post(f"/v1/returns/{ret['id']}/inspection", json=inspection, headers=run.warehouse())
    assert r.status_code == 200, r.text
    return wait_status(run, ret["id"], "completed")


def find_on_the_portal(run: Running, order_id: str, customer: dict) -> None:
    """The find step of the demo shop's returns page: the email and postcode go in a form body, never a URL."""
    with httpx.Client(base_url=run.settings.api_base_url, timeout=30) as shopper:
        token = re.search(r'name="csrf_token" value="([^"]+)"', shopper.get("/portal/demo").text).group(1)
        tries = ((customer["email"].upper(), 303), (customer["address"]["zip"], 303), ("x" + customer["email"], 422))
        for contact, status in tries:
            data = {"csrf_token": token, "order_number": order_id, "contact": contact}
            r = shopper.post("/portal/demo/find", data=data, follow_redirects=False)
            assert r.status_code == status, r.text
        assert shopper.get("/portal/demo/order").status_code == 200


def test_a_full_return_leaves_no_customer_data_in_any_log(running: Running):
    run, m = running, running.merchant()
    customer = shopper("quilla.zorbatrix")
    ret = create(run, customer, "store_credit")
    poll(
        lambda: label_emails(run, customer["email"], ret["label"]["tracking_code"]),
        bool,
        60,
        "the label email",
    )
    url = run.api.get(f"/v1/returns/{ret['id']}/portal-link", headers=m).json()["url"]
    # The shopper finds the order on the shop's returns page (by email, by postcode, one wrong try): a form post
    find_on_the_portal(run, ret["order_id"], customer)
    assert run.api.get(url).status_code == 200 and run.api.get(f"{url}/label.png").status_code == 200
    done = complete(run, ret)
    assert done["refund"]["method"] == "store_credit"

    # The merchant's checkout reads and spends the credit: the customer is named in the body.
    r = run.api.post("/v1/store-credit/lookup", json={"email": customer["email"].upper()}, headers=m)
    assert r.status_code == 200 and r.json()["balances"][0]["amount"] == done["refund"]["amount"], r.text
    redeem = {
        "email": customer["email"],
        "amount": 100,
        "currency": "USD",
        "reference": f"chk-{ret['id']}",
    }
    assert run.api.post("/v1/store-credit/redeem", json=redeem, headers=m).status_code == 201
    # A client putting an email in a URL anyway (the old routes): a 404, and the email is not logged.
    assert run.api.get(f"/v1/store-credit/{customer['email']}", headers=m).status_code == 404
    assert run.api.post(f"/v1/store-credit/{customer['email']}/redeem", json={}, headers=m).status_code == 404
    assert run.api.get("/v1/returns", params={"email": customer["email"]}, headers=m).status_code == 400
    found = run.api.post("/v1/returns/search", json={"email": customer["email"]}, headers=m)
    assert found.status_code == 200 and ret["id"] in [x["id"] for x in found.json()["data"]], found.text
    # A refused body is not logged either.
    assert run.api.post("/v1/store-credit/lookup", json={"email": customer["name"]}, headers=m).status_code == 422

    # A label email the shopper's server keeps refusing (451): retried, and its failures are logged.
    refusing = shopper("tempfail")
    held = create(run, refusing, "refund")
    worker_log = run.settings.data_dir / "logs" / "worker.log"
    poll(
        lambda: logs(run).get(worker_log, ""),
        lambda text: "451" in text,
        60,
        "a refused label email in the worker log",
    )
    cancel = run.api.post(f"/v1/returns/{held['id']}/cancel", json={}, headers=m)
    assert cancel.status_code == 200, cancel.text

    api_log = run.settings.data_dir / "logs" / "api.log"
    poll(
        lambda: logs(run).get(api_log, ""),
        lambda text: f"/v1/returns/{held['id']}/cancel" in text,
        30,
        "the access log",
    )
    expected = {
        "api.log",
        "worker.log",
        "mail-sandbox.log",
        "easypost-sandbox.log",
        "payments-sandbox.log",
    }
    assert {p.name for p in logs(run)} >= expected
    assert leaks(run, secrets_of(customer) + secrets_of(refusing)) == []
    assert leaks(run, [*secrets_of(CUSTOMER), "sam.shopper"]) == []
