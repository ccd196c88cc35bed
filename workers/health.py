"""`python -m workers.health`: the worker container's healthcheck. Exit 0 when Temporal sees pollers on both task
queues (`returns` workflows, `carrier` activities) in the configured namespace, else 1: a worker that is up but not
polling (not connected, stuck) is unhealthy, not only one whose process is gone."""

from __future__ import annotations

import sys

from cli.readiness import has_pollers
from settings import Settings


def main() -> int:
    try:
        return 0 if has_pollers(Settings()) else 1
    except Exception as error:  # Temporal not reachable: unhealthy, with the reason in the healthcheck log
        print(f"unhealthy: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
