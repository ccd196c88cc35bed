"""The API alone: the real app on a test database, with no Temporal behind it."""

from __future__ import annotations

from fastapi import FastAPI

from api.app import create_app
from settings import Settings
from tests.conftest import free_port


def api_alone(database_url: str, **settings) -> FastAPI:
    """The app on `database_url`; its Temporal address is a free port nothing listens on, so whatever would
    reach Temporal fails as it does when Temporal is down. `settings`: any other Settings field."""
    return create_app(Settings(database_url=database_url, temporal_address=f"127.0.0.1:{free_port()}", **settings))
