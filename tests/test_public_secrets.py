"""Settings.refuse_public_secrets: the API (app_factory) and the worker refuse to start a live or publicly reachable
deployment whose secrets are still the public development defaults, naming each; `make run` and the tests start."""

from __future__ import annotations

import asyncio

import pytest
from cryptography.fernet import Fernet

from settings import DEV_PORTAL_SECRET, DEV_WEBHOOK_SECRET, Settings
from workers.main import run

PUBLIC = ("RETURNFLOW_PORTAL_SECRET", "RETURNFLOW_EASYPOST_WEBHOOK_SECRET", "RETURNFLOW_CREDENTIALS_KEY")
OWN = {"portal_secret": "portal-9a7d3b", "easypost_webhook_secret": "whsec-4c2e8f", "credentials_key": ""}


def own_secrets() -> dict[str, str]:
    return {**OWN, "credentials_key": Fernet.generate_key().decode()}


def test_the_embedded_dev_stack_and_the_compose_sandboxes_start_with_the_public_defaults():
    Settings(database_url="sqlite://").refuse_public_secrets()
    Settings(database_url="sqlite://", public_base_url="http://localhost:8000").refuse_public_secrets()


@pytest.mark.parametrize(
    "exposed",
    [
        {"public_base_url": "https://returns.example.com"},
        {"stripe_api_key": "sk_live_0123456789"},
        {"easypost_api_key": "EZAKlive123"},
    ],
)
def test_an_exposed_deployment_with_public_secrets_refuses_naming_each(exposed):
    with pytest.raises(ValueError) as refused:
        Settings(database_url="sqlite://", **exposed).refuse_public_secrets()
    assert all(name in str(refused.value) for name in PUBLIC), refused.value
    Settings(database_url="sqlite://", **exposed, **own_secrets()).refuse_public_secrets()


def test_one_public_secret_left_is_named_alone():
    for setting, public, name in (
        ("portal_secret", DEV_PORTAL_SECRET, "RETURNFLOW_PORTAL_SECRET"),
        ("easypost_webhook_secret", DEV_WEBHOOK_SECRET, "RETURNFLOW_EASYPOST_WEBHOOK_SECRET"),
    ):
        settings = Settings(database_url="sqlite://", stripe_api_key="sk_live_1", **{**own_secrets(), setting: public})
        with pytest.raises(ValueError, match=name) as refused:
            settings.refuse_public_secrets()
        assert [n for n in PUBLIC if n in str(refused.value)] == [name]


def test_the_worker_refuses_before_it_connects():
    settings = Settings(database_url="sqlite://", temporal_address="127.0.0.1:1", stripe_api_key="sk_live_1")
    with pytest.raises(ValueError, match="RETURNFLOW_PORTAL_SECRET"):
        asyncio.run(run(settings))
