"""Schemathesis generates requests from our own OpenAPI document: whatever it sends, never a 500."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import Running

pytestmark = pytest.mark.integration
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


@pytest.mark.parametrize("scope", ["merchant", "warehouse"])
def test_no_generated_request_gets_a_server_error(running: Running, shop, scope: str):
    # A merchant of its own: the fuzzer saves policies and facility registries as it goes.
    out = subprocess.run(
        [str(SCHEMATHESIS), "run", f"{running.settings.api_base_url}/openapi.json",
         "--header", f"Authorization: {shop[scope]['Authorization']}", "--checks", "not_a_server_error",
         "--max-examples", "20", "--seed", "1", "--no-color"],
        capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "passed" in out.stdout and "generated" in out.stdout  # it really ran cases
