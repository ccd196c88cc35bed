"""Attack: the per-client lookup limit is keyed by the whole client address, and an IPv6 client owns at least a /64
(18 quintillion addresses): it takes a fresh address for every try and is never limited.

With the per-client limit gone, what is left is the per-order lock (10 wrong tries an hour per order number):
guessing which order numbers go with a known email, or with a known postcode (a Dutch postcode is one street;
neighbours share it), runs at full speed over every order number, and locking every order's lookup (10 tries
each) too. `api/shopper/lookup.client_address` should key IPv6 by its /64 (as rate limiters commonly do).
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.test_portal_find import make_shop


def test_addresses_of_one_ipv6_64_share_one_limit(sqlite_url):
    client, orders, slugs = make_shop(sqlite_url, portal_lookup_limits="5/minute")
    nl = slugs["nl"]
    with client:
        answers = []
        for i in range(1, 8):
            browser = TestClient(client.app, client=(f"2001:db8:1:2::{i:x}", 50000))
            page = browser.get(f"/portal/{nl}")
            token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            r = browser.post(
                f"/portal/{nl}/find",
                data={"csrf_token": token, "order_number": f"o_guess_{i}", "contact": "1012 AB"},
                follow_redirects=False,
            )
            answers.append(r.status_code)
        assert 429 in answers, answers


def test_the_key_of_a_client_address():
    """IPv6 by its /64, an IPv4-mapped address as the IPv4 it is, IPv4 as it is."""
    from types import SimpleNamespace

    from api.shopper.lookup import client_address

    def key(host):
        return client_address(SimpleNamespace(client=SimpleNamespace(host=host) if host else None))

    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64"
    assert key("2001:db8:1:3::1") != key("2001:db8:1:2::1")
    assert key("::ffff:192.0.2.7") == key("192.0.2.7") == "192.0.2.7"
    assert key("192.0.2.8") != key("192.0.2.7")
    assert key("testclient") == "testclient" and key(None) == "unknown"
