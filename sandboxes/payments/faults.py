"""Fault injection for /v1 endpoints.

Spec, matching and the seeded draw: see sandboxes/faults.py.  Keys here must be "METHOD /path"
(exact, or a glob such as "GET /v1/refunds/*" or "* /v1/*"), each rule with its own seed:

    {"POST /v1/refunds": {"error_rate": 0.2, "status": 500, "rate_limit_rate": 0.1,
                          "latency_ms": 100, "timeout_rate": 0.05, "timeout_ms": 30000,
                          "seed": 1, "after_execute": false, "max_faults": null}}

The draw picks rate_limit (429), error (`status`, `api_error` body) or timeout.

Faults normally fire before any state change or idempotency bookkeeping (the request never
reached Stripe).  With `after_execute: true` they fire after the operation ran and its response
was stored under the Idempotency-Key — the response is lost on the way back, so a retry with the
same key receives the stored result.  A timeout then delays the real response by `timeout_ms`
(the client gives up first); a pre-execution timeout waits `timeout_ms` and answers 500.
Idempotent replays never execute, so after_execute faults do not fire on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sandboxes import faults


@dataclass
class FaultRule(faults.Rule):
    flags: ClassVar[tuple[str, ...]] = ("after_execute",)

    after_execute: bool = False


class Faults(faults.Faults[FaultRule]):
    rule_type = FaultRule

    def parse(self, spec: dict[str, Any]) -> dict[str, FaultRule]:
        for key in spec:  # also rejects a top-level "seed": each rule carries its own
            if len(key.split(" ")) != 2:
                raise ValueError(f"fault key {key!r} must look like 'POST /v1/refunds'")
        rules = super().parse(spec)
        for key, rule in rules.items():
            if rule.rate_limit_rate + rule.error_rate + rule.timeout_rate > 1:
                raise ValueError(f"{key}: the rates add up to more than 1")
        return rules
