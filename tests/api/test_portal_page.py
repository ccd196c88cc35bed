"""The shopper portal page in every state a return can be in, from rows (no Temporal, no stack).

The end-to-end path (a real return, its real label and QR code) is tests/integration/test_portal.py.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image

from api import portal_page
from api.portal_links import portal_token
from db.seed import seed_merchant
from db.session import make_engine, session_scope
from db.tables import ReturnRecord, ShopperEmail, TimelineRecord
from tests.api.alone import api_alone
from tests.factories import CUSTOMER, insert_order

SECRET = "portal-page-test-secret"
MKEY, WKEY = "rf_test_m_portal_page_0000000000", "rf_test_w_portal_page_0000000000"
T0 = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
LABEL = {
    "shipment_id": "shp_1",
    "tracker_id": "trk_1",
    "carrier": "USPS",
    "service": "GroundAdvantage",
    "tracking_code": "9400100000000000000042",
    "label_url": "http://127.0.0.1:1/label.png",
    "rate": {"amount": 795, "currency": "USD"},
}
PICKUP = {
    "pickup_id": "pickup_1",
    "confirmation": "WTC12345",
    "carrier": "USPS",
    "service": "NextDay",
    "cost": {"amount": 0, "currency": "USD"},
    "status": "scheduled",
    "window": {
        "min_datetime": "2026-11-27T09:00:00Z",
        "max_datetime": "2026-11-27T12:00:00Z",
        "instructions": "Side door",
    },
}
ITEMS = [
    {"line_id": "L1", "sku": "TEE-BLK-M", "quantity": 2, "reason": "too_small"},
    {"line_id": "L2", "sku": "SHOE-42", "quantity": 1, "reason": "defective"},
]
PRIVATE = ("sam.shopper@example.com", "Montgomery", "94104", "Shopper", "4155559999", "San Francisco")


@pytest.fixture
def portal(sqlite_url):
    engine = make_engine(sqlite_url)
    seed_merchant(engine, merchant_id="sunny", name="Sunny Shop", merchant_key=MKEY, warehouse_key=WKEY)
    seed_merchant(engine, merchant_id="other", name="Other Shop", merchant_key=MKEY + "x", warehouse_key=WKEY + "x")
    order = insert_order(
        engine,
        "sunny",
        None,
        lines=[
            {
                "id": "L1",
                "sku": "TEE-BLK-M",
                "title": "T-shirt <script>alert(1)</script>",
                "quantity": 2,
                "unit_price": 2500,
            },
            {"id": "L2", "sku": "SHOE-42", "title": "Runner 42", "quantity": 1, "unit_price": 8999},
        ],
    )

    def add(
        return_id: str, status: str, timeline: list[tuple[str, str, str]], merchant_id: str = "sunny", **fields
    ) -> str:
        row = ReturnRecord(
            id=return_id,
            merchant_id=merchant_id,
            order_id=order.id,
            status=status,
            resolution=fields.pop("resolution", "refund"),
            items=ITEMS,
            request_fingerprint="f",
            created_at=T0,
            updated_at=T0,
            **fields,
        )
        with session_scope(engine) as session:
            session.add(row)
            session.flush()
            for seq, (entry_status, event, cause) in enumerate(timeline, start=1):
                session.add(
                    TimelineRecord(
                        return_id=return_id,
                        seq=seq,
                        at=T0 + timedelta(minutes=seq),
                        status=entry_status,
                        event=event,
                        cause=cause,
                    )
                )
        return f"/portal/{portal_token(return_id, merchant_id, SECRET)}"

    with TestClient(api_alone(sqlite_url, portal_secret=SECRET)) as client:
        yield client, add
    engine.dispose()


def html(client: TestClient, path: str, status: int = 200) -> str:
    r = client.get(path)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-store" and r.headers["referrer-policy"] == "no-referrer"
    assert "Traceback" not in r.text and '"error"' not in r.text
    return r.text


CREATED = [
    ("requested", "requested", "2 item(s) requested for refund"),
    ("requested", "policy", "evaluated under policy version 3: fraud score 0.93, trusted customer"),
    ("label_created", "label", "USPS GroundAdvantage label 9400100000000000000042 bought for 7.95 USD"),
    ("label_created", "email", "label 9400100000000000000042 and its drop-off QR code emailed to the shopper"),
    ("label_created", "pickup", "USPS pickup WTC12345 booked for 2026-11-27 09:00–12:00 UTC (0.00 USD)"),
    ("label_created", "merchant_webhook", "return.created event evt_1 sent to the merchant's endpoint"),
]


def test_a_return_with_a_label_shows_how_to_send_it(portal):
    client, add = portal
    page = html(client, add("ret_created", "label_created", CREATED, label={**LABEL, "pickup": PICKUP}))
    assert "Sunny Shop" in page and "Hi Sam," in page
    assert "Label ready" in page and "Pack your items and send the parcel" in page
    assert "9400100000000000000042" in page and "USPS" in page
    assert "TEE-BLK-M" in page and "SHOE-42" in page and "Runner 42" in page
    assert "Too small" in page and "Faulty" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page  # autoescaped
    token_path = page.split('class="qr" src="')[1].split("/dropoff-qr.svg")[0]
    assert token_path.startswith("/portal/v1.")
    assert f'href="{token_path}/label.png"' in page and f'href="{token_path}/label.pdf"' in page
    # the pickup, in words
    assert "A USPS pickup is booked at your address: Fri 27 Nov 2026, 09:00–12:00." in page
    assert "WTC12345" in page and "Side door" in page
    # the timeline: changes of status and what the shopper acts on; never the ops-facing causes
    assert "Return requested" in page and "We emailed you the label and the drop-off QR code" in page
    assert "Carrier pickup booked" in page and "Wed 25 Nov 2026, 09:31" in page
    assert "fraud" not in page and "trusted" not in page and "evt_1" not in page and "7.95" not in page
    for private in PRIVATE:
        assert private not in page
    assert "What you get" not in page  # nothing settled yet


def test_a_label_the_outbox_mailed_is_on_the_timeline_when_it_went_out(portal, sqlite_url):
    """Returns since Patch.LABEL_MAIL_OUTBOX have no "emailed" line: the sent label email row says it."""
    client, add = portal
    without_line = [entry for entry in CREATED if entry[1] != "email"]
    path = add("ret_outboxed", "label_created", without_line, label=LABEL)
    assert "We emailed you the label" not in html(client, path)  # not sent yet
    engine = make_engine(sqlite_url)
    with session_scope(engine) as session:
        for key, status, sent_at in (("a", "sent", T0 + timedelta(minutes=3, seconds=30)), ("b", "failed", None)):
            session.add(
                ShopperEmail(
                    return_id="ret_outboxed",
                    merchant_id="sunny",
                    kind="label_ready",
                    key=f"mail:label_ready:{key}",
                    status=status,
                    sent_at=sent_at,
                    created_at=T0,
                    next_attempt_at=T0,
                )
            )
    engine.dispose()
    page = html(client, path)
    assert page.count("We emailed you the label and the drop-off QR code") == 1  # the one sent
    # In time order: after the label was bought (minute 3), before the pickup was booked (minute 4).
    timeline = page[page.index("Return requested") :]
    assert timeline.index("Label ready") < timeline.index("We emailed you the label")
    assert timeline.index("We emailed you the label") < timeline.index("Carrier pickup booked")


def test_the_qr_code_carries_the_tracking_code_of_each_parcel(portal):
    client, add = portal
    second = {**LABEL, "shipment_id": "shp_2", "tracking_code": "9400100000000000000059"}
    path = add("ret_parcels", "label_created", CREATED[:3], label=LABEL, parcels=[LABEL, second])
    page = html(client, path)
    assert "Parcel 1 of 2" in page and "Parcel 2 of 2" in page and "9400100000000000000059" in page
    for query, code in (("", LABEL["tracking_code"]), ("?parcel=2", second["tracking_code"])):
        png = client.get(f"{path}/dropoff-qr.png{query}")
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
        assert [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))] == [code]
        svg = client.get(f"{path}/dropoff-qr.svg{query}")
        assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml" and b"<svg" in svg.content
    for bad in ("3", "0", "-1", "x", "²", "9" * 5000):
        assert "There is no label here" in html(client, f"{path}/dropoff-qr.svg?parcel={bad}", 404)


def test_a_label_the_carrier_cannot_serve_is_a_page_not_json(portal):
    client, add = portal
    path = add("ret_down", "label_created", CREATED[:3], label=LABEL)  # its label_url answers nothing
    assert "The label could not be fetched" in html(client, f"{path}/label.png", 502)


def test_a_kept_item_shows_why_there_is_no_label_and_the_refund(portal):
    client, add = portal
    path = add(
        "ret_keep",
        "completed",
        [
            ("requested", "requested", "1 item(s) requested for refund"),
            ("settling", "keep_item", "the shopper keeps the items: no return shipment needed"),
            ("completed", "settlement", "refund of 103.70 USD succeeded"),
        ],
        refund={
            "method": "refund",
            "amount": {"amount": 10370, "currency": "USD"},
            "status": "succeeded",
            "reference": "re_123",
        },
    )
    page = html(client, path)
    assert "Complete" in page and "keep the items" in page and "Send it back" not in page
    assert "$103.70 has been refunded to your original payment method" in page
    assert "re_123" not in page
    assert "Refund in progress" in page  # the timeline's settling step
    assert "There is no label here" in html(client, f"{path}/label.png", 404)


def test_a_rejected_return_says_why_in_shopper_words(portal):
    client, add = portal
    reasons = [
        "The 30-day return window ended on 2026-12-03.",
        "no return label could be bought: EasyPost 422 ADDRESS.VERIFY",
    ]
    path = add(
        "ret_rejected",
        "rejected",
        [("requested", "requested", "..."), ("rejected", "policy", " ".join(reasons))],
        decision_reasons=reasons,
    )
    page = html(client, path)
    assert "Not accepted" in page and "Sunny Shop could not accept this return." in page
    assert "The 30-day return window ended on 2026-12-03." in page
    assert "No return label could be made for this return." in page and "EasyPost" not in page
    assert "nothing to send" in page


def test_a_cancelled_return_never_hands_out_its_voided_label(portal):
    client, add = portal
    path = add(
        "ret_cancelled", "cancelled", CREATED[:3] + [("cancelled", "cancel", "cancelled by merchant")], label=LABEL
    )
    page = html(client, path)
    assert "Cancelled" in page and "can no longer be used" in page and LABEL["tracking_code"] not in page
    assert "There is no label here" in html(client, f"{path}/label.png", 404)
    assert "There is no label here" in html(client, f"{path}/dropoff-qr.svg", 404)


def test_an_exchange_shows_its_replacements_and_the_difference(portal):
    client, add = portal
    exchange = {
        "mode": "standard",
        "settle_difference": "charge",
        "difference": {"amount": 500, "currency": "USD"},
        "replacements": [
            {
                "line_id": "L1",
                "sku": "TEE-BLK-L",
                "quantity": 2,
                "warehouse_id": "wh_demo_us",
                "unit_price": {"amount": 2750, "currency": "USD"},
                "status": "shipped",
                "tracking_code": "EZ4000000004",
            }
        ],
    }
    refund = {
        "method": "exchange",
        "amount": {"amount": 500, "currency": "USD"},
        "status": "charged",
        "reference": "ch_1",
    }
    page = html(
        client,
        add(
            "ret_exchange",
            "completed",
            CREATED[:3],
            resolution="exchange",
            label=LABEL,
            exchange=exchange,
            refund=refund,
        ),
    )
    assert "TEE-BLK-L" in page and "shipped" in page and "EZ4000000004" in page and "wh_demo_us" not in page
    assert "The price difference of $5.00 was charged to your original payment method." in page
    assert "Your parcel" in page and "Send it back" not in page  # sent: tracking only, no label to print


def test_bad_links_are_a_404_page(portal):
    client, add = portal
    path = add("ret_x", "label_created", CREATED[:3], label=LABEL)
    token = path.rsplit("/", 1)[1]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (
        f"/portal/{tampered}",
        "/portal/v1.e30.AAAA",
        f"/portal/{token}x",
        f"/portal/{portal_token('ret_x', 'sunny', 'another-secret')}",  # signed with another secret
        f"/portal/{portal_token('ret_nope', 'sunny', SECRET)}",  # a valid link to no return
        f"/portal/{portal_token('ret_x', 'other', SECRET)}",  # the right return under another merchant
        f"/portal/{tampered}/label.png",
        f"/portal/{tampered}/dropoff-qr.svg",
        f"/portal/{tampered}/label.pdf",
    ):
        assert "This link is not valid" in html(client, bad, 404), bad
    assert "This page does not exist" in html(client, f"{path}/nothing/here.png", 404)
    assert "This page does not exist" in html(client, "/portal/not-a-shop", 404)  # no dot: a shop's slug


def test_a_surprise_is_a_500_page_without_a_trace(portal, monkeypatch):
    client, add = portal
    path = add("ret_boom", "label_created", CREATED[:3], label=LABEL)

    def boom(*_):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(portal_page, "load", boom)
    page = html(client, path, 500)
    assert "Something went wrong" in page and "secret internals" not in page


def test_the_merchant_gets_the_link_for_its_own_returns_only(portal):
    client, add = portal
    path = add("ret_link", "label_created", CREATED[:3], label=LABEL)
    add("ret_theirs", "label_created", CREATED[:3], merchant_id="other", label=LABEL)
    r = client.get("/v1/returns/ret_link/portal-link", headers={"Authorization": f"Bearer {MKEY}"})
    assert r.status_code == 200 and r.json()["url"].endswith(path), r.text
    r = client.get("/v1/returns/ret_theirs/portal-link", headers={"Authorization": f"Bearer {MKEY}"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "return_not_found"
    r = client.get("/v1/returns/ret_link/portal-link", headers={"Authorization": f"Bearer {WKEY}"})
    assert r.status_code == 403
    assert CUSTOMER["name"] == "Sam Shopper"  # the first name on the page comes from here
