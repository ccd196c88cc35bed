"""How the histories in tests/replay/histories are made.

    RETURNFLOW_RECORD_HISTORIES=1 .venv/bin/pytest tests/workflows

A test keeps its return's history with `record_history("<name>", await handle.fetch_history())` at its
end (tests/workflows/test_return_workflow.py), once the return has finished; `grep -rn record_history
tests/workflows` lists them. To add one path, run just that test by its node id with the variable set,
so the histories already checked in are not rewritten. tests/replay/test_replay.py replays every file
here and names the paths that must have one (PATHS).

Re-record only when a workflow change is meant to be incompatible, and then guard
anything already running in production with `workflow.patched`; never re-record
just to make a failing replay pass.
"""
