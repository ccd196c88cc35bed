"""A key of merchant A never sees merchant B: every route of the OpenAPI document, walked with each of A's keys.

B gets one of every resource (a return through Temporal, its order, facilities, catalog and stock, policy
versions, label rules, a webhook endpoint and a delivery to it, store credit, a work order, an attention item, an
unidentified parcel). Then every operation of `/openapi.json` (not a hand list: a route added later is walked
too) is called with each of A's keys (merchant, ops, warehouse, read):

- an id in the path is B's: the answer is the 404 a never-existing id gets (same status, same error code),
  never 403, 200 or a 500; with a key of the wrong scope, the 403 that says nothing of B;
- an id in the body or query (order, return, facility, tracking code, customer email, sku) is B's: the route
  answers as for an unknown one (the statuses in BODY_REFERENCES), and B's data stays B's;
- every answer (lists, settings, reports, ...) holds none of B's data: B's every id and name carries a tag
  that must not appear in anything A reads (bar what A itself sent).

A path parameter the test does not know fails it, naming the parameter: teach PATH_IDS (and make the route
answer 404 for another merchant's id) or list the route in EXCLUDED with the reason.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlmodel import select

from api.deps import SCOPES
from db import outbox
from db.seed import ensure_key, seed_merchant
from db.session import make_engine, session_scope
from db.tables import AttentionItem, EventDelivery, StoreCreditEntry, WorkOrder
from db.types import utcnow
from db.webhook_endpoints import first_endpoint
from domain.facilities_example import example_facilities
from domain.notifications import EventType
from tests.factories import create_payment, order_body
from tests.integration.conftest import Running, poll

pytestmark = pytest.mark.integration
# A shopper's photo of B's item (a 1×1 PNG): B's return holds it.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5f3a0e20000000049454e44ae426082"
)

# Routes this walk cannot judge, each with why (and where it is proven instead).
EXCLUDED = {
    ("GET", "/healthz"): "takes no key and says nothing of any merchant",
    ("POST", "/v1/webhooks/easypost"): "EasyPost's, authenticated by HMAC, not by a merchant key "
    "(tests/api/test_easypost_webhook.py)",
}
# Operator routes behind RETURNFLOW_ADMIN_KEY cross merchants by design; a merchant key gets 404 there.
ADMIN_PREFIX = "/v1/admin"
# A PUT to a client-chosen id is an upsert: A writing B's order id makes A's own order by that id.
UPSERTS = {("PUT", "/v1/orders/{order_id}")}
# Numbered per merchant (A's own version n, if A has one): the tag check proves B's document never shows.
PER_MERCHANT_NUMBERS = {"version", "n", "number"}
# What a route answers when the body names B's things (its order, facility, tracking code, customer):
# the answer to an unknown reference. Routes not listed: any 2xx/4xx bar 403, and the tag check.
BODY_REFERENCES = {
    ("POST", "/v1/returns/quote"): {404},  # order_not_found
    ("POST", "/v1/returns"): {404},  # order_not_found, nothing started
    ("PUT", "/v1/stock"): {422},  # unknown_facility
    ("POST", "/v1/store-credit/redeem"): {409},  # A's customer has no credit (B's balance untouched)
    ("POST", "/v1/warehouse/receipts"): {202},  # no match: recorded as A's own unidentified parcel
    ("POST", "/v1/store-credit/lookup"): {200},  # A's ledger for that email: empty
    ("POST", "/v1/webhook-endpoint/test"): {404},  # B's endpoint: not one of A's, nothing sent
}


@dataclass
class Shop:
    id: str
    tag: str
    keys: dict[str, dict[str, str]]
    ids: dict[str, Any] = field(default_factory=dict)

    def markers(self) -> set[str]:
        """Strings that are B's alone: the tag (in every id and name B chose) and the ids the server chose."""
        return {self.tag, *(str(v) for k, v in self.ids.items() if k in ("return_id", "tracking_code"))}


def new_shop(run: Running, tag: str) -> Shop:
    keys = {s: f"rf_test_{s}_{uuid.uuid4().hex}" for s in SCOPES}
    merchant_id = f"m-{tag}"
    engine = make_engine(run.settings.database_url)
    try:
        seed_merchant(
            engine,
            merchant_id=merchant_id,
            name=f"Shop {tag}",
            merchant_key=keys["merchant"],
            warehouse_key=keys["warehouse"],
            ops_key=keys["ops"],
        )
        with session_scope(engine) as session:
            ensure_key(session, merchant_id, "read", keys["read"])
            ensure_key(session, merchant_id, "store", keys["store"])
    finally:
        engine.dispose()
    return Shop(merchant_id, tag, {s: {"Authorization": f"Bearer {k}"} for s, k in keys.items()})


def ok(r, *statuses: int) -> dict:
    assert r.status_code in (statuses or (200, 201)), (r.request.method, r.request.url, r.status_code, r.text)
    return r.json() if r.content else {}


def fill(run: Running, shop: Shop) -> None:
    """One of every resource for `shop`, each named with its tag."""
    api, m, tag = run.api, shop.keys["merchant"], shop.tag
    facilities = json.loads(json.dumps(example_facilities()).replace("demo", tag))
    ok(api.put("/v1/facilities", json=facilities, headers=m))
    facility = facilities["facilities"][0]["id"]
    policy = {"rules": [{"id": f"r-{tag}", "description": f"rule {tag}", "priority": 1, "match": {}}]}
    ok(api.put("/v1/policy", json=policy, headers=m), 201)
    ok(api.put("/v1/policy", json=policy, headers=m), 201)  # two versions
    ok(api.put("/v1/webhook-endpoint", json={"url": f"https://{tag}.example/hooks"}, headers=m))
    sku = f"SKU-{tag}"
    variant = {
        "sku": sku,
        "product_id": f"P-{tag}",
        "title": f"Tee {tag}",
        "options": {"size": "M"},
        "price": {"amount": 2500, "currency": "USD"},
        "category": "apparel",
    }
    ok(api.put("/v1/catalog", json={"variants": [variant]}, headers=m))
    ok(api.put("/v1/stock", json={"levels": [{"sku": sku, "facility_id": facility, "on_hand": 3}]}, headers=m))

    email = f"{tag}@example.com"
    lines = [{"id": "L1", "sku": sku, "title": f"Tee {tag}", "quantity": 1, "unit_price": 2500, "category": "apparel"}]
    customer = {
        "email": email,
        "name": f"Shopper {tag}",
        "address": {
            "name": f"Shopper {tag}",
            "street1": "417 Montgomery St",
            "city": "San Francisco",
            "state": "CA",
            "zip": "94104",
            "country": "US",
            "phone": "4155559999",
        },
    }
    pi = create_payment(run.settings.stripe_base_url, amount=2500, merchant_id=shop.id)
    order_id = f"o-{tag}"
    ok(api.put(f"/v1/orders/{order_id}", json=order_body(pi, lines=lines, customer=customer), headers=m), 201)
    photo = ok(
        api.post(
            f"/v1/orders/{order_id}/photos",
            data={"line_id": "L1"},
            files={"photo": (f"{tag}.png", PNG, "image/png")},
            headers=m,
        ),
        201,
    )
    items = [{"line_id": "L1", "quantity": 1, "reason": "too_small", "photo_ids": [photo["id"]]}]
    body = {"order_id": order_id, "items": items, "resolution": "refund"}
    ret = ok(api.post("/v1/returns", json=body, headers=m), 201, 202)  # 202: the worker is slow; it goes on
    url = f"/v1/returns/{ret['id']}"
    ret = ok(poll(lambda: api.get(url, headers=m), lambda r: r.is_success and r.json().get("label"), 90, "a label"))
    assert ret["label"] and ret["label"]["tracking_code"], ret
    ok(api.put("/v1/label-rules", json={"carriers": [f"Carrier{tag}"]}, headers=m))  # after its label
    parcel = ok(
        api.post("/v1/warehouse/receipts", json={"tracking_code": f"EZ{tag}"}, headers=shop.keys["warehouse"]), 202
    )
    engine = make_engine(run.settings.database_url)
    try:
        with session_scope(engine) as session:
            session.add(
                WorkOrder(
                    id=f"wo-{tag}",
                    merchant_id=shop.id,
                    return_id=ret["id"],
                    line_id="L1",
                    facility_id=facility,
                    sku=sku,
                    quantity=1,
                    grade_in="B",
                )
            )
            attention = AttentionItem(
                merchant_id=shop.id, key=f"iso-{tag}", kind="held", return_id=ret["id"], reason=f"look {tag}"
            )
            session.add(attention)
            session.add(
                StoreCreditEntry(
                    merchant_id=shop.id,
                    customer_email=email,
                    amount=5000,
                    currency="USD",
                    kind="issue",
                    idempotency_key=f"iso-{tag}",
                    return_id=ret["id"],
                )
            )
            hook = first_endpoint(session, shop.id)
            event = outbox.add_event(
                session, shop.id, f"evt-{tag}", EventType.RETURN_CREATED, {}, [hook], utcnow(), ret["id"]
            )
            session.flush()
            attention_id = attention.id
            delivery_id = session.exec(select(EventDelivery.id).where(EventDelivery.event_seq == event.seq)).one()
    finally:
        engine.dispose()
    shop.ids = {
        "return_id": ret["id"],
        "line_id": "L1",
        "order_id": order_id,
        "facility_id": facility,
        "work_order_id": f"wo-{tag}",
        "attention_id": attention_id,
        "parcel_id": parcel["parcel_id"],
        "tracking_code": ret["label"]["tracking_code"],
        "email": email,
        "sku": sku,
        "event_id": f"evt-{tag}",
        "endpoint_id": hook.id,
        "delivery_id": delivery_id,
        "version": 1,
        "photo_id": photo["id"],
    }


# A path parameter -> the key of B's id in Shop.ids, and an id of nothing with the same form.
PATH_IDS = {
    "return_id": ("return_id", "ret_000000000000000000000000"),
    "line_id": ("line_id", "L1"),
    "order_id": ("order_id", "o-nothing-here"),
    "facility_id": ("facility_id", "wh_nothing_here"),
    "work_order_id": ("work_order_id", "wo-nothing-here"),
    "attention_id": ("attention_id", 2**62),
    "parcel_id": ("parcel_id", "up_nothing_here"),
    "photo_id": ("photo_id", "ph_000000000000000000000000"),
    "endpoint_id": ("endpoint_id", "we_000000000000000000000000"),
    "delivery_id": ("delivery_id", 2**31 - 1),
}
# Body and query fields that name a resource -> B's.
REFERENCES = (
    "return_id",
    "order_id",
    "facility_id",
    "tracking_code",
    "email",
    "sku",
    "event_id",
    "line_id",
    "endpoint_id",
)


def with_references(value: Any, ids: dict) -> Any:
    if isinstance(value, dict):
        return {k: ids[k] if k in REFERENCES and k in ids else with_references(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [with_references(v, ids) for v in value]
    return value


def example_body(op: dict) -> Any:
    content = op.get("requestBody", {}).get("content", {}).get("application/json")
    return None if content is None else content.get("example", {})


def leaks(r, shop: Shop, sent: str) -> list[str]:
    return [m for m in shop.markers() if m in r.text and m not in sent]


@pytest.fixture(scope="module")
def shops(running: Running) -> tuple[Shop, Shop]:
    a, b = new_shop(running, f"a{uuid.uuid4().hex[:8]}"), new_shop(running, f"b{uuid.uuid4().hex[:8]}")
    fill(running, a)
    fill(running, b)
    return a, b


def operations(run: Running) -> list[tuple[str, str, dict]]:
    """Every operation of the document, reads first (so what A writes below cannot hide a leak above)."""
    spec = run.api.get("/openapi.json").json()
    ops = [(m.upper(), p, op) for p, item in spec["paths"].items() for m, op in item.items()]
    return sorted(ops, key=lambda o: (o[0] != "GET", o[1], o[0]))


def test_every_route_answers_404_for_merchant_b_to_every_key_of_merchant_a(running: Running, shops):
    a, b = shops
    problems: list[str] = []
    walked = 0
    for method, path, op in operations(running):
        where = f"{method} {path}"
        if (method, path) in EXCLUDED:
            continue
        names = re.findall(r"\{([^}]+)\}", path)
        unknown = [n for n in names if n not in PATH_IDS and n not in PER_MERCHANT_NUMBERS]
        if unknown and not path.startswith(ADMIN_PREFIX):
            problems.append(f"{where}: the test cannot fill {unknown}: teach PATH_IDS or list it in EXCLUDED")
            continue
        theirs = {n: b.ids[PATH_IDS[n][0]] if n in PATH_IDS else b.ids["version"] for n in names}
        nothing = {n: PATH_IDS[n][1] if n in PATH_IDS else 10**6 for n in names}
        body = example_body(op)
        body_b = with_references(body, b.ids) if body is not None else None
        query = {
            p["name"]: b.ids[p["name"]]
            for p in op.get("parameters", [])
            if p["in"] == "query" and p["name"] in REFERENCES
        }
        walked += 1
        for scope, headers in a.keys.items():
            url = path.format(**theirs)
            sent = url + json.dumps(body_b) + json.dumps(query)
            r = running.api.request(method, url, headers=headers, json=body_b)
            if r.status_code >= 500:
                problems.append(f"{where} [{scope}] {url}: {r.status_code} {r.text[:200]}")
                continue
            if found := leaks(r, b, sent):
                problems.append(f"{where} [{scope}] {url}: B's {found} in {r.status_code} {r.text[:300]}")
            if r.status_code == 403:
                continue  # the wrong scope for this route; the error names scopes only
            if (method, path) in UPSERTS:
                continue  # A's own order by that id (or a 422 for the example's payment); the tag check holds
            if (method, path) == ("POST", "/v1/store-credit/lookup") and r.is_success and r.json()["entries"]:
                problems.append(f"{where} [{scope}]: B's customer's entries shown to A: {r.text[:300]}")
            if path.startswith(ADMIN_PREFIX):
                if r.status_code not in (401, 404):
                    problems.append(f"{where} [{scope}]: a merchant key got {r.status_code} from the admin API")
                continue
            if any(n in PATH_IDS for n in names) and (method, path) not in UPSERTS:
                control = running.api.request(method, path.format(**nothing), headers=headers, json=body)
                code = (r.json().get("error") or {}).get("code") if r.status_code == 404 else None
                control_code = (control.json().get("error") or {}).get("code") if control.status_code == 404 else None
                if r.status_code != 404 or (control.status_code, control_code) != (404, code):
                    problems.append(
                        f"{where} [{scope}] {url}: {r.status_code} {code} for B's id, "
                        f"{control.status_code} {control_code} for none: {r.text[:200]}"
                    )
            elif (expected := BODY_REFERENCES.get((method, path))) is not None and body is not None:
                if r.status_code not in expected:
                    problems.append(f"{where} [{scope}]: {r.status_code} (wanted {expected}) {r.text[:200]}")
            elif not r.is_success and r.status_code != 404:
                problems.append(f"{where} [{scope}]: {r.status_code} {r.text[:200]}")
            if query and method == "GET":  # a list filtered by B's references: empty for A
                r = running.api.get(url, params=query, headers=headers)
                if r.status_code >= 500 or (found := leaks(r, b, "")):
                    problems.append(f"{where} [{scope}] ?{query}: {r.status_code} {r.text[:300]}")
    assert walked >= 45
    assert not problems, "\n".join(problems)


def test_b_still_has_all_of_its_own(running: Running, shops):
    """What A sent with B's ids changed nothing of B's."""
    _, b = shops
    m = b.keys["merchant"]
    ret = ok(running.api.get(f"/v1/returns/{b.ids['return_id']}", headers=m))
    assert ret["status"] not in ("cancelled", "received") and ret["order_id"] == b.ids["order_id"]
    assert ok(running.api.get(f"/v1/orders/{b.ids['order_id']}", headers=m))["customer"]["email"] == b.ids["email"]
    ledger = ok(running.api.post("/v1/store-credit/lookup", json={"email": b.ids["email"]}, headers=m))
    assert ledger["balances"] == [{"amount": 5000, "currency": "USD"}]
    assert b.ids["facility_id"] in running.api.get("/v1/facilities", headers=m).text


def test_a_reads_its_own_in_the_lists(running: Running, shops):
    a, _ = shops
    for path, key in (
        ("/v1/returns", "return_id"),
        ("/v1/attention", "return_id"),
        ("/v1/work-orders", "work_order_id"),
        ("/v1/webhook-deliveries", "event_id"),
        ("/v1/warehouse/unidentified", "parcel_id"),
    ):
        for scope, headers in a.keys.items():
            r = running.api.get(path, headers=headers)
            if r.status_code != 403:
                ok(r)
                assert str(a.ids[key]) in r.text, (path, scope, r.text[:300])


def test_ops_and_read_keys_read_their_own_merchants_return_timeline_order_and_trail(running: Running, shops):
    a, _ = shops
    ret = a.ids["return_id"]
    for scope in ("merchant", "ops", "read"):
        for path in (
            f"/v1/returns/{ret}",
            f"/v1/returns/{ret}/timeline",
            f"/v1/returns/{ret}/tracking",
            f"/v1/orders/{a.ids['order_id']}",
            f"/v1/items/{ret}/L1/trail",
        ):
            r = running.api.get(path, headers=a.keys[scope])
            assert r.status_code == 200, (scope, path, r.text)
    r = running.api.get(f"/v1/returns/{ret}", headers=a.keys["warehouse"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    for scope in ("ops", "read", "warehouse"):  # only the merchant cancels
        r = running.api.post(f"/v1/returns/{ret}/cancel", json={}, headers=a.keys[scope])
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", (scope, r.text)
