"""How the histories in tests/replay/histories are made.

    RETURNFLOW_RECORD_HISTORIES=1 .venv/bin/pytest tests/workflows

Re-record only when a workflow change is meant to be incompatible, and then guard
anything already running in production with `workflow.patched`; never re-record
just to make a failing replay pass.
"""
