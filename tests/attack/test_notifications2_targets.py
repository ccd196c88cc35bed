"""Attack: address spellings and names the webhook target check (activities/webhook_targets.py) lets through.

1. `is_public` unwraps IPv4-mapped IPv6 (::ffff:a.b.c.d) but no other IPv6 form that carries an IPv4 address:
   NAT64 (64:ff9b::/96, RFC 6052), IPv4-compatible (::a.b.c.d, deprecated), 6to4 (2002::/16) and the
   deprecated site-local range (fec0::/10) all count as "global". On a deployment behind NAT64/DNS64 (common
   on IPv6-only Kubernetes clusters and clouds), http://[64:ff9b::a9fe:a9fe]/ is the metadata service
   169.254.169.254 and http://[64:ff9b::a00:5]/ is 10.0.0.5: the SSRF the first pass closed, reopened by a
   spelling. Fix: unwrap the embedded IPv4 of 64:ff9b::/96, 2002::/16 (bits 16-48) and ::/96 and judge that
   address; refuse fec0::/10 (and 64:ff9b:1::/48) outright.

2. `pinned` hands httpcore the URL's host as `httpx.URL.host`, which is IDNA-decoded Unicode (`faß.de`).
   Python's ssl encodes a str server_hostname with the IDNA 2003 codec, which maps ß to ss: the certificate
   is checked against `fass.de` (another registrable domain, someone else's) while the connection goes to the
   address of `xn--fa-hia.de` (the name the URL holds, IDNA 2008, as pydantic stored it). The real owner's
   certificate fails ("TLS error" every attempt until the endpoint is disabled), and a certificate for
   fass.de passes for it. Fix: `sni_hostname` = `original.raw_host.decode("ascii")` (the A-label).
"""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from activities.webhook_targets import is_public, pinned, refusal
from tests.api.alone import api_alone
from tests.api.test_webhook_endpoints import A, engine  # noqa: F401 - the fixture

EMBEDDED_PRIVATE = [
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (metadata service)
    "64:ff9b::a00:5",  # NAT64 of 10.0.0.5
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "::7f00:1",  # IPv4-compatible 127.0.0.1
    "::a9fe:a9fe",  # IPv4-compatible 169.254.169.254
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2002:a00:5::1",  # 6to4 of 10.0.0.5
    "fec0::1",  # site-local (deprecated, still routed inside some networks)
]


@pytest.mark.parametrize("address", EMBEDDED_PRIVATE)
def test_an_ipv6_spelling_of_a_private_ipv4_address_is_not_public(address):
    assert not is_public(address)


@pytest.mark.parametrize("address", EMBEDDED_PRIVATE)
async def test_an_endpoint_url_spelling_a_private_address_in_ipv6_is_refused(address):
    assert await refusal(f"http://[{address}]/latest/meta-data/") is not None


def test_held_an_ipv4_mapped_loopback_and_a_literal_ipv6_url_are_pinned_with_brackets():
    """The defences that held: ::ffff:127.0.0.1 is private; an IPv6 address goes into the URL bracketed, the
    port kept, the Host header the URL's own, and userinfo never in the Host header."""
    assert not is_public("::ffff:127.0.0.1")
    url, host, ext = pinned("http://[2606:4700::1111]:8080/x", "2606:4700::1111")
    assert str(url) == "http://[2606:4700::1111]:8080/x" and host == {"host": "[2606:4700::1111]:8080"}
    url, host, ext = pinned("https://user:pw@example.com:8443/x", "93.184.216.34")
    assert url.host == "93.184.216.34" and url.port == 8443 and host == {"host": "example.com:8443"}
    assert ext == {"sni_hostname": "example.com"}


def test_the_certificate_is_checked_against_the_name_the_url_holds():
    stored = "https://xn--fa-hia.de/hook"  # what the API stores for https://faß.de/hook (IDNA 2008)
    _, host, ext = pinned(stored, "93.184.216.34")
    assert host == {"host": "xn--fa-hia.de"}
    # What Python's ssl module verifies the certificate against (SSLContext._encode_hostname):
    verified = ext["sni_hostname"].encode("idna").decode("ascii")
    assert verified == httpx.URL(stored).raw_host.decode("ascii"), f"checked against {verified!r}"


@pytest.fixture
def exposed_client(engine, database_url: str):  # noqa: F811
    """The API of an exposed deployment: private webhook targets are not allowed."""
    with TestClient(api_alone(database_url, webhook_private_targets=False)) as c:
        yield c


def test_the_api_refuses_an_endpoint_at_the_nat64_spelling_of_the_metadata_service(exposed_client):
    r = exposed_client.post(
        "/v1/webhook-endpoints", json={"url": "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/"}, headers=A["merchant"]
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "endpoint_not_public", r.text
