"""Attack: the pinned connection pool skips the certificate check for a second endpoint on the same address.

Each attempt is sent to the address its host was checked on (activities/webhook_targets.py `pinned`): the URL's
host becomes the IP and the certificate is checked against the name through httpcore's `sni_hostname`. But one
round posts every job through ONE httpx.AsyncClient (activities/webhook_sender.py `_send`), and httpcore pools
connections by origin (scheme, host, port), which is now the IP. The second endpoint on the same IP takes the
idle, already-verified connection of the first: no handshake, so its own name is never checked against a
certificate. An endpoint whose name the server has no certificate for (a MITM on a shared IP that holds a valid
certificate for its own domain, a shared CDN address) gets another endpoint's signed events, return data and all.

Shown with a local TLS server whose certificate names `localhost` only: an endpoint at https://localhost/ is
delivered; one at https://127.0.0.1/ alone fails (TLS error, as it should); after the first in the same round
it is delivered over the first one's connection.

A fix: one connection per attempt for pinned requests (a fresh AsyncClient per job, or `Connection: close` /
a pool keyed by (address, name)), so every https attempt does its own handshake against its own name.
"""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from activities.webhook_sender import WebhookSender
from db import webhook_deliveries as q
from db import webhook_endpoints as endpoints
from db.session import session_scope
from tests.activities.test_webhook_sender import T0
from tests.factories import new_merchant


def _cert_files(tmp: Path) -> tuple[Path, Path, Path]:
    """A CA, and a leaf for DNS:localhost only (not the IP 127.0.0.1)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "attack test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem, cert_pem, key_pem = tmp / "ca.pem", tmp / "leaf.pem", tmp / "leaf.key"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_pem, cert_pem, key_pem


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the connection goes back to the client's pool

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        self.server.hosts.append(self.headers.get("host"))  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def tls_receiver(tmp_path: Path, monkeypatch) -> Iterator[tuple[int, list[str]]]:
    ca, cert, key = _cert_files(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))  # the client trusts this CA (httpx reads it)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.hosts = []  # type: ignore[attr-defined]
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], server.hosts  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def _ping(engine, url: str) -> int:
    merchant, _, _ = new_merchant(engine)
    with session_scope(engine) as session:
        row = endpoints.create_endpoint(session, merchant, url, None, None, T0)
    with session_scope(engine) as session:
        (delivery_id,) = q.add_ping(session, merchant, row.id, T0, dt.timedelta(minutes=1))
    return delivery_id


async def test_alone_the_unnamed_endpoint_fails_its_tls_check(engine, tls_receiver):
    """The defence as it holds: an endpoint whose name the certificate does not cover is not delivered."""
    port, hosts = tls_receiver
    b = _ping(engine, f"https://127.0.0.1:{port}/hooks")
    ((_, outcome, _),) = await WebhookSender(engine).send_now([b], T0)
    assert not outcome.delivered and outcome.error == "TLS error"
    assert hosts == []


async def test_a_second_endpoint_on_the_same_address_gets_its_own_certificate_check(engine, tls_receiver):
    port, hosts = tls_receiver
    a = _ping(engine, f"https://localhost:{port}/hooks")  # the certificate names this one
    b = _ping(engine, f"https://127.0.0.1:{port}/hooks")  # and not this one (another merchant's endpoint)
    sender = WebhookSender(engine)
    sender.concurrency = 1  # one at a time: the first's connection is idle in the pool when the second goes
    results = await sender.send_now([a, b], T0)
    outcomes = {job.delivery_id: outcome for job, outcome, _ in results}
    assert outcomes[a].delivered
    # The second endpoint's name was never checked against a certificate: it must not be delivered.
    assert not outcomes[b].delivered, f"delivered to {hosts!r} over the first endpoint's verified connection"
