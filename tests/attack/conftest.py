"""The attack tests reuse the workflow harness (time-skipping server, real activities)."""

from tests.workflows.conftest import harness  # noqa: F401
