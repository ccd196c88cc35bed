"""Attack: behind a TLS-terminating proxy (how the API is deployed: the Dockerfile runs plain uvicorn, whose
proxy headers are trusted from 127.0.0.1 only) the shopper's session cookie is set without `Secure`.

`api/shopper/session.secure` reads the scheme of the request the app saw (http from the proxy), not where shoppers
reach the portal (`settings.public_base_url`, https). A session cookie without Secure goes out over any plain-http
request to the host (a typed-in http:// address, a downgraded network): a network attacker takes the session
(the shopper's order, start and cancel returns). The CSRF cookie likewise.
"""

from __future__ import annotations

import re

from tests.api.test_portal_find import make_shop


def test_the_session_cookie_is_secure_when_the_portal_is_public_over_https(sqlite_url):
    client, orders, slugs = make_shop(sqlite_url, public_base_url="https://returns.example.nl")
    with client:
        nl = slugs["nl"]
        # The app sees plain http (from the proxy); the shopper's browser is on https and sends its cookies back.
        first = client.get(f"/portal/{nl}")
        assert "Secure" in first.headers["set-cookie"], first.headers["set-cookie"]  # rf_csrf
        assert first.headers["strict-transport-security"] == "max-age=31536000"
        token = re.search(r'name="csrf_token" value="([^"]+)"', first.text).group(1)
        client.cookies.clear()
        r = client.post(
            f"/portal/{nl}/find",
            data={"csrf_token": token, "order_number": orders["mine"], "contact": "1012 AB"},
            headers={"cookie": f"rf_csrf={first.cookies['rf_csrf']}"},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text[:300]
        assert "Secure" in r.headers["set-cookie"], r.headers["set-cookie"]  # rf_shopper


def test_without_an_https_public_address_cookies_follow_the_request(sqlite_url):
    """A portal reached over plain http (local, no public_base_url) keeps working: no Secure, no HSTS there;
    over https the cookies are Secure all the same."""
    client, orders, slugs = make_shop(sqlite_url)
    with client:
        first = client.get(f"/portal/{slugs['nl']}")
        assert "Secure" not in first.headers["set-cookie"] and "strict-transport-security" not in first.headers
        client.cookies.clear()
        over_https = client.get(f"https://testserver/portal/{slugs['nl']}")
        assert "Secure" in over_https.headers["set-cookie"], over_https.headers["set-cookie"]
