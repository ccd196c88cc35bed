"""The shopper's label email, for real: a migrated database, a label bought from the EasyPost
sandbox over HTTP, and the message sent over SMTP to the mail sandbox and read back from it."""

from __future__ import annotations

import base64
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import easypost
import httpx
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy.engine import Engine
from sqlmodel import select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.documents import dropoff_qr
from activities.email import EmailActivities, LabelEmail, SmtpConfig
from db.seed import DEMO_WAREHOUSE_ADDRESS
from db.session import make_engine, session_scope
from db.tables import EmailSent, Merchant, Order, ReturnRecord
from settings import DEV_EASYPOST_KEY
from tests.conftest import free_port
from tests.factories import CUSTOMER, insert_order, new_merchant
from workflows.messages import ActivityErrorType

PNG = b"\x89PNG\r\n\x1a\n"


@dataclass
class Setup:
    engine: Engine
    mail: httpx.Client
    smtp: SmtpConfig
    easypost_url: str

    def activities(self, **smtp) -> EmailActivities:
        return EmailActivities(self.engine, SmtpConfig(**{**self.smtp.__dict__, **smtp}))

    def inbox(self, to: str) -> list[dict]:
        return self.mail.get("/_sandbox/messages", params={"to": to}).json()


def _setup(url: str, sandboxes: dict[str, str]):
    engine = make_engine(url)
    host, _, port = sandboxes["smtp"].rpartition(":")
    with httpx.Client(base_url=sandboxes["mail"], timeout=10) as mail:
        yield Setup(
            engine,
            mail,
            SmtpConfig(host=host, port=int(port), sender="returns@returnflow.example"),
            sandboxes["easypost"],
        )
    engine.dispose()


@pytest.fixture
def setup(database_url, sandboxes):
    yield from _setup(database_url, sandboxes)


@pytest.fixture
def sqlite_setup(sqlite_url, sandboxes):
    yield from _setup(sqlite_url, sandboxes)


def buy_label(easypost_url: str, reference: str) -> dict:
    """A real return label from the EasyPost sandbox, kept on the return row as the workflow's projection keeps it."""
    client = easypost.EasyPostClient(DEV_EASYPOST_KEY, api_base=f"{easypost_url}/v2")
    shipment = client.shipment.create(
        to_address=CUSTOMER["address"],
        from_address=DEMO_WAREHOUSE_ADDRESS,
        is_return=True,
        reference=reference,
        parcel={"length": 12, "width": 9, "height": 4, "weight": 16},
        options={"label_format": "PNG"},
    )
    shipment = client.shipment.buy(shipment.id, rate=shipment.lowest_rate())
    rate = shipment.selected_rate
    return {
        "shipment_id": shipment.id,
        "carrier": rate.carrier,
        "service": rate.service,
        "tracking_code": shipment.tracking_code,
        "label_url": shipment.postage_label.label_url,
        "rate": {"amount": round(float(rate.rate) * 100), "currency": rate.currency},
    }


def labelled_return(
    s: Setup, *, email: str | None = None, status: str = "label_created", label: dict | None | bool = True
) -> tuple[LabelEmail, str, dict | None]:
    """A merchant, an order whose shopper has a fresh address, and a return row with a bought label."""
    merchant_id, _, _ = new_merchant(s.engine)
    email = email or f"sam.{uuid.uuid4().hex[:8]}@example.com"
    order = insert_order(s.engine, merchant_id, None, customer={**CUSTOMER, "email": email})
    return_id = f"ret_{uuid.uuid4().hex[:24]}"
    if label is True:
        label = buy_label(s.easypost_url, return_id)
    now = datetime.now(UTC)
    with session_scope(s.engine) as session:
        session.add(
            ReturnRecord(
                id=return_id,
                merchant_id=merchant_id,
                order_id=order.id,
                status=status,
                resolution="refund",
                items=[{"line_id": "L2", "sku": "SHOE-42", "quantity": 1, "reason": "too_small"}],
                label=label,
                tracking_code=label["tracking_code"] if label else None,
                request_fingerprint="fp",
                version=2,
                created_at=now,
                updated_at=now,
            )
        )
    return LabelEmail(return_id=return_id, merchant_id=merchant_id), email, label


def attachment(message: dict, filename: str) -> bytes:
    [found] = [a for a in message["attachments"] if a["filename"] == filename]
    return base64.b64decode(found["content_base64"])


def sent_rows(engine: Engine, return_id: str) -> list[EmailSent]:
    with session_scope(engine) as session:
        return list(session.exec(select(EmailSent).where(EmailSent.return_id == return_id)))


def test_the_shopper_gets_the_label_and_the_dropoff_qr_once(setup):
    req, email, label = labelled_return(setup)
    tracking = label["tracking_code"]

    result = ActivityEnvironment().run(setup.activities().send_label_email, req)

    assert result.status == "sent"
    assert result.message_id == f"<label-{req.return_id}-{tracking}@returnflow>"
    [msg] = setup.inbox(email)
    assert msg["message_id"] == result.message_id
    assert msg["envelope_to"] == [email] and msg["to"] == [email]
    assert msg["from"].endswith("<returns@returnflow.example>") and msg["from"].startswith(f"Shop {req.merchant_id}")
    with session_scope(setup.engine) as session:
        order_id = session.get(ReturnRecord, req.return_id).order_id
    assert msg["subject"] == f"Your return label for order {order_id} at Shop {req.merchant_id}"
    for text in (msg["text"], msg["html"]):
        assert tracking in text and label["carrier"] in text and label["label_url"] in text
        assert "Runner 42" in text  # the item's title, from the order
        assert "Sam Shopper" in text

    qr = attachment(msg, "dropoff-qr.png")
    assert qr == dropoff_qr(tracking, "png")  # the same bytes as GET /v1/returns/{id}/dropoff-qr.png
    decoded = [(b.text, b.format.name) for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(qr)))]
    assert decoded == [(tracking, "QRCode")]
    png = attachment(msg, "return-label.png")
    assert png.startswith(PNG) and png == httpx.get(label["label_url"]).content

    [row] = sent_rows(setup.engine, req.return_id)
    assert row.to == email and row.key == f"label-{req.return_id}-{tracking}"

    # A retried activity, even on another worker (a fresh instance), sends nothing more.
    again = ActivityEnvironment().run(setup.activities().send_label_email, req)
    assert again.status == "already_sent" and again.message_id == result.message_id
    assert len(setup.inbox(email)) == 1
    assert len(sent_rows(setup.engine, req.return_id)) == 1


def test_a_refused_recipient_is_final_and_named_nowhere(sqlite_setup):
    s = sqlite_setup
    req, email, _ = labelled_return(s, email=f"bounce+{uuid.uuid4().hex[:8]}@example.com")
    with pytest.raises(ApplicationError) as err:
        ActivityEnvironment().run(s.activities().send_label_email, req)
    assert err.value.non_retryable and err.value.type == ActivityErrorType.EMAIL_REJECTED
    assert "550" in str(err.value) and email not in str(err.value) and err.value.__cause__ is None
    assert s.inbox(email) == [] and sent_rows(s.engine, req.return_id) == []


def test_a_mail_server_saying_later_is_retried(sqlite_setup):
    s = sqlite_setup
    req, email, _ = labelled_return(s, email=f"tempfail+{uuid.uuid4().hex[:8]}@example.com")
    with pytest.raises(ApplicationError) as err:
        ActivityEnvironment().run(s.activities().send_label_email, req)
    assert not err.value.non_retryable and err.value.type == "EmailUnavailable" and "451" in str(err.value)
    assert email not in str(err.value) and sent_rows(s.engine, req.return_id) == []


def test_a_mail_server_that_is_down_is_retried_then_sends(sqlite_setup):
    s = sqlite_setup
    req, email, _ = labelled_return(s)
    with pytest.raises(ApplicationError) as err:
        ActivityEnvironment().run(s.activities(port=free_port()).send_label_email, req)  # nothing listens there
    assert not err.value.non_retryable and err.value.type == "EmailUnavailable"
    assert sent_rows(s.engine, req.return_id) == []
    # The next attempt finds the server up.
    assert ActivityEnvironment().run(s.activities().send_label_email, req).status == "sent"
    assert len(s.inbox(email)) == 1


def test_a_label_file_that_cannot_be_downloaded_is_retried_and_nothing_is_sent(sqlite_setup):
    s = sqlite_setup
    req, email, label = labelled_return(s)
    with session_scope(s.engine) as session:
        row = session.get(ReturnRecord, req.return_id)
        row.label = {**label, "label_url": f"{s.easypost_url}/_files/labels/no_such_label.png"}
    with pytest.raises(ApplicationError) as err:
        ActivityEnvironment().run(s.activities().send_label_email, req)
    assert not err.value.non_retryable and err.value.type == "LabelUnavailable"
    assert s.inbox(email) == [] and sent_rows(s.engine, req.return_id) == []


def test_no_label_yet_is_retried_and_a_voided_label_is_never_mailed(sqlite_setup):
    s = sqlite_setup
    req, _, _ = labelled_return(s, status="requested", label=None)
    with pytest.raises(ApplicationError) as err:
        ActivityEnvironment().run(s.activities().send_label_email, req)
    assert not err.value.non_retryable and err.value.type == "LabelNotRecorded"

    req, email, _ = labelled_return(s, status="cancelled")
    assert ActivityEnvironment().run(s.activities().send_label_email, req).status == "label_voided"
    assert s.inbox(email) == []

    with pytest.raises(ApplicationError) as err:  # another merchant's return
        ActivityEnvironment().run(
            s.activities().send_label_email, LabelEmail(return_id=req.return_id, merchant_id="m_other")
        )
    assert err.value.non_retryable


def test_a_return_in_several_parcels_gets_every_label_and_qr_code(sqlite_setup):
    s = sqlite_setup
    req, email, label = labelled_return(s)
    second = buy_label(s.easypost_url, f"{req.return_id}-parcel-2")
    with session_scope(s.engine) as session:
        row = session.get(ReturnRecord, req.return_id)
        row.parcels = [label, second]
        session.add(row)
    assert ActivityEnvironment().run(s.activities().send_label_email, req).status == "sent"
    [message] = s.inbox(email)
    names = sorted(a["filename"] for a in message["attachments"])
    assert names == ["dropoff-qr-2.png", "dropoff-qr.png", "return-label-2.png", "return-label.png"]
    qr = zxingcpp.read_barcodes(Image.open(io.BytesIO(attachment(message, "dropoff-qr-2.png"))))
    assert [b.text for b in qr] == [second["tracking_code"]]
    assert "2 parcels" in message["text"]


def test_names_stored_with_control_characters_reach_no_header_and_the_mail_goes(sqlite_setup):
    """Rows from before the API refused them (issue 10, item 6): each name is one clean line in its header."""
    s = sqlite_setup
    req, email, _ = labelled_return(s)
    with session_scope(s.engine) as session:
        order = session.get(Order, (req.merchant_id, session.get(ReturnRecord, req.return_id).order_id))
        order.customer = {**order.customer, "name": "Sam\r\nBcc: thief@example.com\x00 Shopper"}
        session.get(Merchant, req.merchant_id).name = "Evil\nShop\u2028Ltd\u202e"

    assert ActivityEnvironment().run(s.activities().send_label_email, req).status == "sent"

    [msg] = s.inbox(email)
    assert msg["envelope_to"] == [email] and msg["to"] == [email]
    assert msg["from"] == "Evil Shop Ltd <returns@returnflow.example>"
    assert [v for k, v in msg["headers"] if k == "To"] == [f'"Sam Bcc: thief@example.com Shopper" <{email}>']
    assert "Bcc" not in [k for k, _ in msg["headers"]]
    assert not any(c in v for _, v in msg["headers"] for c in "\r\n\x00\u2028\u202e")
