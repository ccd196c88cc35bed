"""The return's page offers cancel and pickup changes in the shopper's language, with CSRF on every form, and
answers a refusal with a sentence, never a 500 (the API alone: Temporal is down here; the changes going through
for real are in tests/integration/test_portal.py).
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image

from api.portal_links import portal_token
from api.shopper.return_actions import pickup_windows
from db.return_choices import record_choices
from db.seed import seed_merchant
from db.session import make_engine, session_scope
from db.tables import Merchant, ReturnRecord
from tests.api.alone import api_alone
from tests.factories import insert_order

SECRET = "portal-changes-test-secret"
LABEL = {
    "shipment_id": "shp_1",
    "carrier": "PostNL",
    "service": "Standard",
    "tracking_code": "3SRFTEST0000001",
    "label_url": "http://127.0.0.1:1/label.png",
}
T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.fixture
def page(sqlite_url):
    engine = make_engine(sqlite_url)
    seed_merchant(
        engine,
        merchant_id="fiets",
        name="Fiets",
        merchant_key="rf_test_m_chg_0000000000000",
        warehouse_key="rf_test_w_chg_000000000000",
    )
    with session_scope(engine) as session:
        merchant = session.get(Merchant, "fiets")
        merchant.locale, merchant.timezone = "nl", "Europe/Amsterdam"
    order = insert_order(engine, "fiets", None)

    def add(return_id: str, status: str, language: str = "de", send_method: str = "label", **fields) -> str:
        with session_scope(engine) as session:
            session.add(
                ReturnRecord(
                    id=return_id,
                    merchant_id="fiets",
                    order_id=order.id,
                    status=status,
                    resolution="refund",
                    items=[{"line_id": "L1", "sku": "TEE-BLK-M", "quantity": 1, "reason": "too_small"}],
                    request_fingerprint="f",
                    created_at=T0,
                    updated_at=T0,
                    **fields,
                )
            )
        with session_scope(engine) as session:
            record_choices(session, "fiets", return_id, language, send_method)
        return f"/portal/{portal_token(return_id, 'fiets', SECRET)}"

    with TestClient(api_alone(sqlite_url, portal_secret=SECRET)) as client:
        yield client, add
    engine.dispose()


def csrf(text: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)


def test_the_page_speaks_the_returns_language_and_offers_the_changes(page):
    client, add = page
    path = add("ret_de", "label_created", language="de", label=LABEL)
    text = client.get(path).text
    assert '<html lang="de">' in text and "Etikett bereit" in text and "Rücksendung ändern" in text
    assert f'action="{path}/cancel"' in text and f'action="{path}/pickup"' in text
    assert text.count('type="radio" name="window"') == 10  # 5 weekdays x morning and afternoon
    assert "09:00–13:00" in text and "13:00–17:00" in text and "Mitteleuropäische" in text
    # ?lang= and then the cookie beat the return's language
    assert "Label klaar" in client.get(f"{path}?lang=nl").text
    assert '<html lang="nl">' in client.get(path).text


def test_the_pickup_windows_are_weekdays_in_the_shops_zone():
    friday_evening = datetime(2026, 12, 4, 20, tzinfo=UTC)
    windows = pickup_windows(friday_evening, "Europe/Amsterdam", "nl")
    assert [w.key for w in windows[:3]] == ["2026-12-07-1", "2026-12-07-2", "2026-12-08-1"]  # Monday on
    assert windows[0].start == datetime(2026, 12, 7, 8, tzinfo=UTC)  # 09:00 in Amsterdam (CET)
    assert windows[0].label == "maandag 7 december, 09:00–13:00"
    assert len(windows) == 10 and windows[-1].key == "2026-12-11-2"


def test_no_change_without_the_forms_csrf_token(page):
    client, add = page
    path = add("ret_csrf", "label_created", label=LABEL)
    client.get(path)
    for action in ("cancel", "pickup", "pickup/cancel"):
        r = client.post(f"{path}/{action}", data={"confirm": "yes", "csrf_token": "forged"})
        assert r.status_code == 403 and "Dieses Formular ist abgelaufen" in r.text, action
        r = client.post(f"{path}/{action}", data={"confirm": "yes"})
        assert r.status_code == 403, action


def test_a_refusal_is_a_sentence_on_the_page(page):
    client, add = page
    path = add("ret_refused", "label_created", language="nl", label=LABEL)
    token = csrf(client.get(path).text)
    r = client.post(f"{path}/cancel", data={"csrf_token": token})
    assert r.status_code == 422 and "Vink het vakje aan" in r.text and 'role="alert"' in r.text
    r = client.post(f"{path}/pickup", data={"csrf_token": token, "window": "2020-01-01-1"})
    assert r.status_code == 422 and "Kies een tijd voor het ophalen." in r.text
    # Temporal is down in this test: a friendly 503 page, not a 500 or JSON
    r = client.post(f"{path}/cancel", data={"csrf_token": token, "confirm": "yes"})
    assert r.status_code == 503 and "We konden onze dienst nu niet bereiken" in r.text and '"error"' not in r.text


def test_a_return_past_its_first_scan_offers_no_changes(page):
    client, add = page
    path = add("ret_moving", "in_transit", language="nl", label=LABEL)
    text = client.get(path).text
    assert "Onderweg" in text and "Je retour wijzigen" not in text and "csrf_token" not in text
    token = csrf(client.get("/portal/fiets").text)  # this browser's token, from a page with a form
    r = client.post(f"{path}/cancel", data={"csrf_token": token, "confirm": "yes"})
    assert r.status_code == 409 and "kan niet meer worden geannuleerd" in r.text


def test_a_qr_return_shows_the_qr_code_first(page):
    client, add = page
    path = add("ret_qr", "label_created", language="en", send_method="qr", label=LABEL)
    text = client.get(path).text
    assert text.index("Show this code at the drop-off point") < text.index("Print the label")
    assert 'class="qr big"' in text


def test_a_store_return_shows_its_rma_code_to_scan(page):
    client, add = page
    path = add("ret_store_1", "awaiting_hand_in", language="nl", send_method="store")
    text = client.get(path).text
    assert "Klaar om in te leveren" in text and "Inleveren in de winkel" in text and "RMA-RET_STORE_1" in text
    assert "Er is geen label" not in text and f'src="{path}/rma-qr.svg"' in text
    png = client.get(f"{path}/rma-qr.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))] == ["RMA-RET_STORE_1"]
    assert "Deze retour annuleren" in text  # cancellable until a store has it
