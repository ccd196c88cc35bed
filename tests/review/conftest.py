"""The review tests reuse the workflow tests' harness (time-skipping Temporal, real activities, sandboxes)."""

from tests.workflows.conftest import harness  # noqa: F401
