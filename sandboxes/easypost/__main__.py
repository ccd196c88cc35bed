"""python -m sandboxes.easypost --host 127.0.0.1 --port 8010 [--data-dir DIR]

With --data-dir, state and label files are kept there and a restart carries on; else in memory.
Environment: RETURNFLOW_EASYPOST_SANDBOX_KEYS (comma-separated accepted keys),
RETURNFLOW_EASYPOST_SANDBOX_WEBHOOK_URL, RETURNFLOW_EASYPOST_WEBHOOK_SECRET,
RETURNFLOW_EASYPOST_SANDBOX_FAULTS (JSON fault spec, see faults.py).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import uvicorn

from sandboxes.easypost.app import create_app
from sandboxes.easypost.state import DEFAULT_API_KEY


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandboxes.easypost", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8010)
    parser.add_argument("--data-dir", type=Path, default=None, help="keep state here (default: memory)")
    args = parser.parse_args()
    keys = {k.strip() for k in os.environ.get("RETURNFLOW_EASYPOST_SANDBOX_KEYS", DEFAULT_API_KEY).split(",")}
    app = create_app(
        api_keys={k for k in keys if k},
        webhook_url=os.environ.get("RETURNFLOW_EASYPOST_SANDBOX_WEBHOOK_URL") or None,
        webhook_secret=os.environ.get("RETURNFLOW_EASYPOST_WEBHOOK_SECRET", "returnflow-dev-webhook-secret"),
        faults=os.environ.get("RETURNFLOW_EASYPOST_SANDBOX_FAULTS") or None,
        data_dir=args.data_dir,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
