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
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/portal/v1.abc.def/label.png?parcel=2", "1.1", 200), None)  # fmt: skip
    for f in access.filters:
        f.filter(record)
    line = record.getMessage()
    assert "v1.abc.def" not in line and "/portal/[link]/label.png?parcel=2" in line
    other = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, "%s", ("/v1/returns/ret_1",), None)
    RedactPortalLinks().filter(other)
    assert other.getMessage() == "/v1/returns/ret_1"
