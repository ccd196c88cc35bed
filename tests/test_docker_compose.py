"""docker-compose.yml parses (Debian's docker-compose, no engine) and matches the code."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def compose_config() -> dict:
    exe = shutil.which("docker-compose")
    assert exe, "docker-compose is not installed; `make test` installs it (tests/services.sh)"
    out = subprocess.run(
        [exe, "-f", str(ROOT / "docker-compose.yml"), "--profile", "sandboxes", "config"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return yaml.safe_load(out.stdout)


def test_compose_names_every_service_the_code_expects():
    services = compose_config()["services"]
    assert {"postgresql", "temporal", "temporal-ui", "api", "worker", "easypost-sandbox", "payments-sandbox"} <= set(
        services
    )
    assert services["worker"]["command"] == ["python", "-m", "workers.main"]
    assert "api.app:app_factory" in services["api"]["command"]
    assert services["easypost-sandbox"]["profiles"] == ["sandboxes"]


def test_compose_sets_only_real_settings_and_the_ones_production_needs():
    services = compose_config()["services"]
    fields = {f"RETURNFLOW_{name.upper()}" for name in Settings.model_fields}
    for name in ("api", "worker", "migrate"):
        env = services[name]["environment"]
        used = {k for k in env if k.startswith("RETURNFLOW_")}
        assert used <= fields, used - fields
        assert env["RETURNFLOW_DATABASE_URL"].startswith("postgresql")
        assert env["RETURNFLOW_TEMPORAL_ADDRESS"] == "temporal:7233"


def test_every_copied_package_exists_in_the_dockerfile():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("domain", "workflows", "activities", "api", "workers", "db", "sandboxes", "cli"):
        assert f"COPY {package} ./{package}" in dockerfile


def test_compose_registers_every_search_attribute_the_workflows_upsert():
    from workflows import search_attributes as sa

    command = " ".join(compose_config()["services"]["temporal-setup"]["command"])
    for key in sa.ALL:
        assert f"--name {key.name} --type {sa.cli_type(key)}" in command
