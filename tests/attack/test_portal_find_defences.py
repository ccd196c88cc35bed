"""Attack (holds): getting around the find step's limits by dressing up the request.

- X-Forwarded-For is not read by the app (uvicorn alone decides the client address, trusting proxy headers from
  127.0.0.1 only), so a spoofed header is no fresh client;
- the order number's surrounding spaces are the same order number for the lock, and another case of it is another
  order number that finds nothing (lookups are exact), so neither escapes a locked order;
- after the lock, the right postcode, the right email in any case, and the other identifier are all refused alike.
"""

from __future__ import annotations

from tests.api.test_portal_find import Shop, make_shop, shop  # noqa: F401


def test_a_spoofed_forwarded_for_is_no_fresh_client(sqlite_url):
    client, orders, slugs = make_shop(sqlite_url, portal_lookup_limits="5/minute")
    with client:
        found = Shop(client, orders, slugs)
        nl = slugs["nl"]
        answers = [
            found.find(
                nl,
                f"o_guess_{i}",
                "x@example.nl",
                headers={
                    "X-Forwarded-For": f"198.51.100.{i}",
                    "X-Real-IP": f"198.51.100.{i}",
                    "Forwarded": f"for=198.51.100.{i}",
                },
            ).status_code
            for i in range(7)
        ]
        assert answers == [422] * 5 + [429] * 2


def test_spaces_case_and_the_other_identifier_do_not_get_past_a_locked_order(shop: Shop):  # noqa: F811
    nl, mine = shop.slugs["nl"], shop.orders["mine"]
    for _ in range(10):
        assert shop.find(nl, mine, "9999 ZZ").status_code == 422
    for number in (mine, f"  {mine}  ", f"\t{mine}\n"):
        for contact in ("1012 AB", "1012ab", "EVA.DE.VRIES@EXAMPLE.NL", " eva.de.vries@example.nl "):
            r = shop.find(nl, number, contact)
            assert r.status_code == 429 and "rf_shopper" not in str(r.headers), (number, contact)
    # another case of the number is another number: not locked, and it finds nothing either
    assert shop.find(nl, mine.upper(), "1012 AB").status_code == 422
