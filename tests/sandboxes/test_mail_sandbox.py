"""The mail sandbox over real SMTP (smtplib) and real HTTP: what it keeps, what it refuses, how it stops."""

from __future__ import annotations

import base64
import hashlib
import signal
import smtplib
import subprocess
import sys
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import httpx
import pytest

from sandboxes.mail.app import serve_mail_in_thread
from tests.conftest import free_port
from tests.polling import poll

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


@pytest.fixture
def mail() -> Iterator[tuple[httpx.Client, int]]:
    url, smtp_port, stop = serve_mail_in_thread()
    with httpx.Client(base_url=url, timeout=10) as client:
        yield client, smtp_port
    stop()


def message(to: str, subject: str = "Your return label") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Demo Shop <returns@shop.example>"
    msg["To"] = f"Sam Shopper <{to}>"
    msg["Subject"] = subject
    msg["Message-ID"] = "<label-r1@returnflow>"
    msg.set_content("Tracking code: EZ1000000001\n")
    msg.add_alternative("<p>Tracking code: <b>EZ1000000001</b></p>\n", subtype="html")
    msg.add_attachment(PNG, maintype="image", subtype="png", filename="dropoff-qr.png")
    return msg


def send(port: int, msg: EmailMessage, to: str) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(msg, to_addrs=[to])


def test_keeps_what_it_receives_and_shows_it_as_json(mail):
    client, port = mail
    send(port, message("sam@example.com"), "sam@example.com")
    send(port, message("kim@example.com", subject="Another"), "kim@example.com")

    found = client.get("/_sandbox/messages", params={"to": "SAM@example.com"}).json()  # case-insensitive
    assert len(found) == 1
    m = found[0]
    assert m["subject"] == "Your return label"
    assert m["from"] == "Demo Shop <returns@shop.example>"
    assert m["to"] == ["sam@example.com"] and m["envelope_to"] == ["sam@example.com"]
    assert m["message_id"] == "<label-r1@returnflow>"
    assert m["text"] == "Tracking code: EZ1000000001\n"
    assert "<b>EZ1000000001</b>" in m["html"]
    [attachment] = m["attachments"]
    assert attachment["filename"] == "dropoff-qr.png" and attachment["content_type"] == "image/png"
    assert base64.b64decode(attachment["content_base64"]) == PNG
    assert attachment["size"] == len(PNG) and attachment["sha256"] == hashlib.sha256(PNG).hexdigest()

    light = client.get("/_sandbox/messages", params={"to": "sam@example.com", "content": "false"}).json()
    assert "content_base64" not in light[0]["attachments"][0] and light[0]["attachments"][0]["size"] == len(PNG)
    raw = client.get(f"/_sandbox/messages/{m['id']}/raw")
    assert raw.headers["content-type"] == "message/rfc822"
    assert BytesParser(policy=policy.default).parsebytes(raw.content)["Subject"] == "Your return label"
    assert client.get(f"/_sandbox/messages/{m['id']}").json()["subject"] == "Your return label"
    assert client.get("/_sandbox/messages/msg_999999").status_code == 404

    assert len(client.get("/_sandbox/messages").json()) == 2
    assert client.get("/_sandbox/stats").json()["messages"] == 2
    assert client.delete("/_sandbox/messages").json() == {"deleted": 2}
    assert client.get("/_sandbox/messages").json() == []


@pytest.mark.parametrize(
    "address,code", [("bounce@example.com", 550), ("Bounce+tag@example.com", 550), ("tempfail@example.com", 451)]
)
def test_test_addresses_are_refused_like_a_real_server_would(mail, address, code):
    client, port = mail
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(port, message(address), address)
    assert refused.value.recipients[address][0] == code
    assert client.get("/_sandbox/messages").json() == []
    assert client.get("/_sandbox/stats").json()["refused_recipients"] == 1


def test_runs_as_a_process_and_stops_on_sigterm(tmp_path):
    http_port, smtp_port = free_port(), free_port()
    log = open(tmp_path / "mail.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandboxes.mail", "--port", str(http_port), "--smtp-port", str(smtp_port)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{http_port}"

        def up() -> bool:
            assert proc.poll() is None, (tmp_path / "mail.log").read_text()
            try:
                return httpx.get(f"{base}/_sandbox/health", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        poll(up, bool, 30, "the mail sandbox to answer")
        assert httpx.get(f"{base}/_sandbox/stats").json()["smtp_port"] == smtp_port
        send(smtp_port, message("sam@example.com"), "sam@example.com")
        assert [m["subject"] for m in httpx.get(f"{base}/_sandbox/messages").json()] == ["Your return label"]
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
        log.close()
    # uvicorn shuts down gracefully (lifespan included), then re-raises the signal it caught.
    assert code in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in (tmp_path / "mail.log").read_text()
    with pytest.raises(OSError):  # the SMTP side stopped with it
        smtplib.SMTP("127.0.0.1", smtp_port, timeout=2)


def test_an_smtp_port_already_taken_fails_the_start(tmp_path, mail):
    _, taken = mail
    proc = subprocess.run(
        [sys.executable, "-m", "sandboxes.mail", "--port", str(free_port()), "--smtp-port", str(taken)],
        cwd=ROOT,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=30,
    )
    assert proc.returncode != 0
