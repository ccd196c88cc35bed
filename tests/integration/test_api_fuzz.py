"""Schemathesis generates requests from our own OpenAPI document: whatever it sends, never a 500.

Once per key scope. The merchant run covers every operation (and the unauthenticated EasyPost webhook);
the warehouse run the operations a warehouse key may call, so its examples go deeper than a 403; the ops
run those only an ops key may call (the ones merchants or warehouses may call too are in their runs).
Hand-written nasty values: test_hostile_input.py.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import Running

pytestmark = pytest.mark.integration
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def allowed_operations(run: Running, headers: dict) -> list[str]:
    """The operation ids this key is not refused (401/403) on, asked with a well-formed id of nothing."""
    spec = run.api.get("/openapi.json").json()
    allowed = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            url = re.sub(r"\{[^}]+\}", "1", path)
            if run.api.request(method.upper(), url, headers=headers).status_code not in (401, 403):
                allowed.append(op["operationId"])
    return allowed


@pytest.mark.parametrize("scope", ["merchant", "warehouse", "ops"])
def test_no_generated_request_gets_a_server_error(running: Running, shop, scope: str):
    # A merchant of its own: the fuzzer saves policies and facility registries as it goes.
    only: list[str] = []
    if scope != "merchant":
        ids = allowed_operations(running, shop[scope])
        if scope == "ops":
            shared = {*allowed_operations(running, shop["merchant"]), *allowed_operations(running, shop["warehouse"])}
            ids = [i for i in ids if i not in shared]
        assert len(ids) >= 2, ids
        only = ["--include-operation-id-regex", "^(" + "|".join(map(re.escape, ids)) + ")$"]
    out = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{running.settings.api_base_url}/openapi.json",
            "--header",
            f"Authorization: {shop[scope]['Authorization']}",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "20",
            "--seed",
            "1",
            "--no-color",
            *only,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    # The failures come first, the summary last: both, so the failing request is in the message.
    assert out.returncode == 0, out.stdout[:6000] + "\n...\n" + out.stdout[-3000:] + out.stderr[-2000:]
    assert "passed" in out.stdout and "generated" in out.stdout  # it really ran cases
