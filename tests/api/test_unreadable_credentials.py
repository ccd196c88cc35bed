"""A merchant's stored keys that no longer decrypt (the operator changed RETURNFLOW_CREDENTIALS_KEY) are a
503 naming the problem, never a 500 and never a silent fall back to the platform's account."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.errors import install
from db.credentials import UnreadableCredentials


def test_unreadable_credentials_answer_503_json():
    app = FastAPI()
    install(app)

    @app.get("/boom")
    async def boom() -> None:
        raise UnreadableCredentials("stored key does not decrypt")

    r = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "credentials_unreadable"
