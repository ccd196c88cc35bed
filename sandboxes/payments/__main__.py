"""`python -m sandboxes.payments --host 127.0.0.1 --port 8020 [--data-dir DIR]`.

With --data-dir, PaymentIntents, refunds and idempotency keys are kept there; else in memory.

Environment: RETURNFLOW_PAYMENTS_SANDBOX_KEYS (comma-separated API keys, default
sk_test_returnflow_sandbox), RETURNFLOW_PAYMENTS_SANDBOX_FAULTS (fault spec JSON, see faults.py),
RETURNFLOW_PAYMENTS_SANDBOX_WEBHOOK_URL, RETURNFLOW_PAYMENTS_WEBHOOK_SECRET.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import uvicorn

from .app import DEFAULT_API_KEYS, create_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sandboxes.payments", description="Returnflow Stripe-compatible payments sandbox"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8020)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--data-dir", type=Path, default=None, help="keep state here (default: memory)")
    args = parser.parse_args(argv)

    raw_keys = os.environ.get("RETURNFLOW_PAYMENTS_SANDBOX_KEYS", "")
    keys = {k.strip() for k in raw_keys.split(",") if k.strip()} or set(DEFAULT_API_KEYS)
    try:
        app = create_app(
            api_keys=keys,
            faults=os.environ.get("RETURNFLOW_PAYMENTS_SANDBOX_FAULTS") or None,
            webhook_url=os.environ.get("RETURNFLOW_PAYMENTS_SANDBOX_WEBHOOK_URL") or None,
            webhook_secret=os.environ.get("RETURNFLOW_PAYMENTS_WEBHOOK_SECRET") or None,
            data_dir=args.data_dir,
        )
    except ValueError as exc:  # bad fault spec: fail loudly at startup, not on first request
        print(f"payments sandbox: invalid configuration: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
