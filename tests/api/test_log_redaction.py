"""Portal links never reach the access log."""

from __future__ import annotations

import logging

from api.app import create_app
from api.log_redaction import RedactPortalLinks
from settings import Settings


def test_uvicorn_access_records_lose_the_portal_token(tmp_path):
    create_app(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}"))
    access = logging.getLogger("uvicorn.access")
    assert any(isinstance(f, RedactPortalLinks) for f in access.filters)
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/portal/v1.abc.def/label.png?parcel=2", "1.1", 200),
        None,
    )
    for f in access.filters:
        f.filter(record)
    line = record.getMessage()
    assert "v1.abc.def" not in line and "/portal/[link]/label.png?parcel=2" in line
    other = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, "%s", ("/v1/returns/ret_1",), None)
    RedactPortalLinks().filter(other)
    assert other.getMessage() == "/v1/returns/ret_1"


def test_anything_like_an_email_in_a_url_is_dropped_from_the_access_log():
    for path in (
        "/v1/store-credit/sam.shopper@example.com",
        "/v1/store-credit/Sam.Shopper%40Example.com/redeem",
        "/v1/orders?email=kim%40example.com&x=1",
        "/v1/x/a%40b",
    ):
        record = logging.LogRecord(
            "uvicorn.access",
            logging.INFO,
            __file__,
            1,
            '%s - "%s %s HTTP/%s" %d',
            ("127.0.0.1:5000", "GET", path, "1.1", 404),
            None,
        )
        RedactPortalLinks().filter(record)
        line = record.getMessage()
        assert "@" not in line and "%40" not in line.lower() and "example.com" not in line.lower(), line
        assert "[email]" in line and line.startswith("127.0.0.1:5000") and "HTTP/1.1" in line
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, "%s", ("/v1/orders?email=kim%40example.com&x=1",), None
    )
    RedactPortalLinks().filter(record)
    assert record.getMessage() == "/v1/orders?email=[email]&x=1"
