"""`returnflow merchants ...` and `returnflow keys ...` on a real SQLite database (typer's CliRunner, and the
installed console script once): the --json shape, keys shown once that work against the API, a revoked key
refused, and bad input a clear message with a non-zero exit, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cli.main import app
from tests.api.alone import api_alone

RETURNFLOW = Path(sys.executable).parent / "returnflow"
FIETS = ["merchants", "create", "Fietsenwinkel", "--slug", "fiets", "--country", "NL", "--currency", "EUR"]


@pytest.fixture
def cli(sqlite_url):
    runner = CliRunner()
    env = {"RETURNFLOW_DATABASE_URL": sqlite_url, "RETURNFLOW_TEST_MODE": "true"}

    def run(*args: str, code: int = 0):
        result = runner.invoke(app, list(args), env=env)
        assert result.exit_code == code, (args, result.output, result.exception)
        assert "Traceback" not in result.output
        return result

    return run


def test_merchants_create_json_gives_one_key_per_scope_that_works(cli, sqlite_url):
    made = json.loads(cli(*FIETS, "--locale", "nl", "--timezone", "Europe/Amsterdam", "--json").stdout)
    assert set(made) == {"merchant_id", "slug", "keys"} and made["slug"] == "fiets"
    assert set(made["keys"]) == {"merchant", "warehouse", "ops"}
    assert all(k.startswith("rf_test_") for k in made["keys"].values())
    with TestClient(api_alone(sqlite_url)) as api:
        for scope, key in made["keys"].items():
            r = api.get("/v1/returns", headers={"Authorization": f"Bearer {key}"})
            assert r.status_code == (403 if scope == "warehouse" else 200), (scope, r.text)
        settings = api.get("/v1/merchant", headers={"Authorization": f"Bearer {made['keys']['merchant']}"}).json()
        assert (settings["locale"], settings["timezone"]) == ("nl", "Europe/Amsterdam")
    listed = cli("merchants", "list", "--json").stdout
    assert json.loads(listed)[0]["id"] == made["merchant_id"]
    # Shown once: the list of keys names them by prefix only.
    keys_listed = (
        cli("keys", "list", "--merchant", "fiets").stdout + cli("keys", "list", "--merchant", "fiets", "--json").stdout
    )
    for key in made["keys"].values():
        assert key[:16] in keys_listed and key not in keys_listed


def test_a_second_merchant_with_the_same_slug_fails_clearly(cli):
    cli(*FIETS, "--json")
    result = cli(*FIETS, code=1)
    assert "slug 'fiets' is taken" in result.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--slug", "Fiets Winkel"], "--slug"),
        (["--country", "NLD"], "--country"),
        (["--currency", "EU"], "--currency"),
        (["--locale", "es"], "--locale"),
        (["--timezone", "Europe/Atlantis"], "--timezone"),
    ],
)
def test_bad_merchant_input_is_a_clear_message_and_exit_2(cli, args, says):
    base = dict(zip(FIETS[3::2], FIETS[4::2]))
    base.update(zip(args[::2], args[1::2]))
    result = cli("merchants", "create", "Fietsenwinkel", *[x for kv in base.items() for x in kv], code=2)
    assert says in result.stderr


def test_keys_create_list_and_revoke(cli, sqlite_url):
    cli(*FIETS, "--json")
    made = json.loads(
        cli("keys", "create", "--merchant", "fiets", "--scope", "read", "--expires-in-days", "30", "--json").stdout
    )
    assert made["scope"] == "read" and made["key"].startswith("rf_test_") and made["expires_at"]
    listed = json.loads(cli("keys", "list", "--merchant", "fiets", "--json").stdout)
    assert [k["scope"] for k in listed] == ["merchant", "warehouse", "ops", "read"]
    headers = {"Authorization": f"Bearer {made['key']}"}
    with TestClient(api_alone(sqlite_url)) as api:
        assert api.get("/v1/returns", headers=headers).status_code == 200
        assert "revoked" in cli("keys", "revoke", made["prefix"]).stdout
        r = api.get("/v1/returns", headers=headers)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    listed = json.loads(cli("keys", "list", "--merchant", "fiets", "--json").stdout)
    read = next(k for k in listed if k["prefix"] == made["prefix"])
    assert read["revoked_at"] and read["last_used_at"]

    assert "unknown scope" in cli("keys", "create", "--merchant", "fiets", "--scope", "admin", code=1).stderr
    assert "no merchant" in cli("keys", "create", "--merchant", "nobody", "--scope", "read", code=1).stderr
    assert "no key" in cli("keys", "revoke", "rf_test_nothing", code=1).stderr
    assert (
        "1 to 3650 days"
        in cli("keys", "create", "--merchant", "fiets", "--scope", "ops", "--expires-in-days", "0", code=1).stderr
    )


def test_an_unmigrated_database_is_a_message_not_a_traceback(tmp_path):
    runner = CliRunner()
    env = {"RETURNFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    result = runner.invoke(app, ["merchants", "list"], env=env)
    assert result.exit_code == 1 and "migrated" in result.stderr and "Traceback" not in result.output


def test_the_console_script_is_installed(sqlite_url):
    env = {**os.environ, "RETURNFLOW_DATABASE_URL": sqlite_url, "RETURNFLOW_TEST_MODE": "false"}
    done = subprocess.run([str(RETURNFLOW), *FIETS, "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert all(k.startswith("rf_live_") for k in json.loads(done.stdout)["keys"].values())


@pytest.mark.parametrize(
    ("env", "code", "says"),
    [
        ({"RETURNFLOW_DATABASE_URL": "postgresql://u:hunter2pw@127.0.0.1:1/x"}, 1, "u:***@127.0.0.1:1/x"),
        ({"RETURNFLOW_DATABASE_URL": "nonsense://"}, 1, "did not answer"),
        ({"RETURNFLOW_ADMIN_KEY": "short"}, 2, "RETURNFLOW_ADMIN_KEY must be at least 24 characters"),
        ({"RETURNFLOW_TEST_MODE": "maybe"}, 2, "RETURNFLOW_TEST_MODE"),
    ],
)
def test_bad_settings_or_an_unreachable_database_are_a_message_without_secrets(tmp_path, env, code, says):
    env = {"RETURNFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", **env}
    result = CliRunner().invoke(app, ["merchants", "list"], env=env)
    assert result.exit_code == code and says in result.stderr, result.output
    assert "Traceback" not in result.output and "hunter2pw" not in result.output
