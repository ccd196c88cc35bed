"""Adversarial review of Patch.LABEL_MAIL_OUTBOX: the label file is now downloaded inside the ShopperMailer's
round (compose_label_email), which sends one email at a time under a claim lease (smtp timeout x 10 + 60 s) while the
drain heartbeats only while both pumps turn (5-minute heartbeat timeout). LABEL_DOWNLOAD_TIMEOUT_SECONDS is httpx's
per-operation timeout, not a deadline: a label host that trickles bytes keeps one download going for as long as it
likes (up to 10 MB), stalling every return's email and outliving the claim lease, after which another drain claims
the same label email and sends it too (a second copy). The download must end within about its timeout."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from temporalio.exceptions import ApplicationError

from activities import email

DONE = threading.Event()  # the test is over: the host stops trickling


class Trickle(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(b"\x89PNG\r\n\x1a\n")
        self.wfile.flush()
        for _ in range(20):  # one byte every 0.2 s: never idle for the (per-read) timeout; ends early at teardown
            if DONE.wait(0.2):
                return
            try:
                self.wfile.write(b"x")
                self.wfile.flush()
            except OSError:
                return

    def log_message(self, *args):
        pass


@pytest.fixture
def trickling_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    DONE.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/label.png"
    DONE.set()
    server.shutdown()
    server.server_close()


def test_a_trickling_label_host_cannot_hold_the_mailer_past_the_download_timeout(trickling_url, monkeypatch):
    monkeypatch.setattr(email, "LABEL_DOWNLOAD_TIMEOUT_SECONDS", 1)
    started = time.monotonic()
    try:
        email._download_label(trickling_url)
    except ApplicationError:
        pass
    assert time.monotonic() - started < 2.5  # the server trickles for 4 s


class TrickledHeaders(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")  # the headers never end: httpx waits for them
        self.wfile.flush()
        for _ in range(20):  # one byte every 0.2 s: never idle for the per-read timeout
            if DONE.wait(0.2):
                return
            try:
                self.wfile.write(b"x")
                self.wfile.flush()
            except OSError:
                return

    def log_message(self, *args):
        pass


def test_a_host_that_trickles_its_headers_is_abandoned_at_the_deadline_too(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), TrickledHeaders)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    DONE.clear()
    monkeypatch.setattr(email, "LABEL_DOWNLOAD_TIMEOUT_SECONDS", 1)
    started = time.monotonic()
    try:
        with pytest.raises(ApplicationError, match="took over 1 s"):
            email._download_label(f"http://127.0.0.1:{server.server_address[1]}/label.png")
        assert time.monotonic() - started < 2.5  # the server trickles for 4 s
    finally:
        DONE.set()
        server.shutdown()
        server.server_close()
