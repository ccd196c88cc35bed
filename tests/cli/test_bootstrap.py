"""`returnflow merchants bootstrap` (the compose stack's one-shot bootstrap job) on a real SQLite database: the
first start makes the merchant and prints its keys; every later start finds it and exits 0 without a second."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli.main import app

BOOTSTRAP_ENV = {
    "RETURNFLOW_BOOTSTRAP_MERCHANT_NAME": "Fietsenwinkel",
    "RETURNFLOW_BOOTSTRAP_MERCHANT_SLUG": "fiets",
    "RETURNFLOW_BOOTSTRAP_MERCHANT_COUNTRY": "NL",
    "RETURNFLOW_BOOTSTRAP_MERCHANT_CURRENCY": "EUR",
}


@pytest.fixture
def run(sqlite_url):
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str], code: int = 0):
        env = {"RETURNFLOW_DATABASE_URL": sqlite_url, "RETURNFLOW_TEST_MODE": "true"} | env
        result = runner.invoke(app, list(args), env=env)
        assert result.exit_code == code, (args, result.output, result.exception)
        assert "Traceback" not in result.output
        return result

    return invoke


def merchants(run) -> list[dict]:
    return json.loads(run("merchants", "list", "--json", env={}).stdout)


def test_bootstrap_makes_the_merchant_once_and_a_restart_is_harmless(run):
    first = json.loads(run("merchants", "bootstrap", "--json", env=BOOTSTRAP_ENV).stdout)
    assert first["slug"] == "fiets" and set(first["keys"]) == {"merchant", "warehouse", "ops"}
    [made] = merchants(run)
    assert (made["id"], made["name"], made["country"], made["currency"]) == (
        first["merchant_id"],
        "Fietsenwinkel",
        "NL",
        "EUR",
    )

    again = run("merchants", "bootstrap", env=BOOTSTRAP_ENV)
    assert "exists: nothing to do" in again.stdout
    assert not any(key in again.stdout for key in first["keys"].values())  # keys are printed once
    assert [m["id"] for m in merchants(run)] == [first["merchant_id"]]


def test_bootstrap_without_a_merchant_configured_does_nothing(run):
    result = run("merchants", "bootstrap", env={})
    assert "unset" in result.stdout
    assert merchants(run) == []


def test_bootstrap_with_half_a_merchant_is_a_clear_error(run):
    result = run("merchants", "bootstrap", env={"RETURNFLOW_BOOTSTRAP_MERCHANT_SLUG": "fiets"}, code=2)
    assert "RETURNFLOW_BOOTSTRAP_MERCHANT_NAME" in result.stderr
    assert merchants(run) == []


def test_bootstrap_refuses_a_bad_slug_like_create_does(run):
    result = run(
        "merchants", "bootstrap", env=BOOTSTRAP_ENV | {"RETURNFLOW_BOOTSTRAP_MERCHANT_SLUG": "Fiets Winkel"}, code=2
    )
    assert "--slug" in result.stderr
