"""Fault injection for /v2 requests, applied before the request touches any state.

Spec and matching: see sandboxes/faults.py.  Example:

    {"seed": 7,
     "POST /v2/shipments/*/buy": {"error_rate": 0.2, "status": 503},
     "*": {"rate_limit_rate": 0.1, "latency_ms": 50, "timeout_rate": 0.0, "timeout_ms": 30000}}

`latency_ms` delays every matching request.  Then the draw picks rate limit (429 RATE_LIMITED,
with a `Retry-After: <retry_after>` header when the rule sets `retry_after`, in whole seconds),
error (`status`, default 503) or timeout (wait `timeout_ms`, then 504).

Faults normally fire before the request touches any state (a faulted buy buys nothing).  With
`"after_execute": true` the request runs first and the fault replaces its answer: the response
is lost on the way back (a buy that bought, a create that created), as when a connection drops
after EasyPost did the work.  A client retrying must not assume nothing happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sandboxes import faults
from sandboxes.easypost.errors import ApiError

_ERROR_CODES = {500: "INTERNAL_SERVER_ERROR", 502: "BAD_GATEWAY", 503: "SERVICE_UNAVAILABLE", 504: "GATEWAY_TIMEOUT"}


@dataclass
class Rule(faults.Rule):
    flags: ClassVar[tuple[str, ...]] = ("after_execute",)

    status: int = 503
    after_execute: bool = False
    retry_after: int | None = None


class Faults(faults.Faults[Rule]):
    rule_type = Rule

    def parse(self, spec: dict[str, Any]) -> dict[str, Rule]:
        """The shared rules, plus `retry_after` (whole seconds, or null) on any of them."""
        waits = {}
        for key, value in spec.items():
            if key != "seed" and isinstance(value, dict) and "retry_after" in value:
                wait = value["retry_after"]
                if wait is not None and (isinstance(wait, bool) or not isinstance(wait, int) or wait < 0):
                    raise ValueError(f"{key}: retry_after must be a non-negative integer")
                waits[key] = wait
        plain = {k: ({f: v for f, v in r.items() if f != "retry_after"} if k in waits else r) for k, r in spec.items()}
        rules = super().parse(plain)
        for key, wait in waits.items():
            rules[key].retry_after = wait
        return rules

    async def apply(self, method: str, path: str) -> Rule | None:
        """Sleep and/or raise the injected error; returns normally when the request may proceed,
        with the matching after_execute rule if any (pass it to `inject` once the request has run)."""
        rule = self.match(method, path)
        if rule is None:
            return None
        await rule.wait_latency()
        if rule.after_execute:
            return rule
        await self.inject(rule)
        return None

    @staticmethod
    async def inject(rule: Rule) -> None:
        """Raise the error the draw picks, if any (after_execute: in place of the request's answer)."""
        kind = rule.draw()
        if kind == "rate_limit":
            wait = {} if rule.retry_after is None else {"Retry-After": str(rule.retry_after)}
            raise ApiError(429, "RATE_LIMITED", "Too many requests; slow down and retry later.", headers=wait)
        if kind == "error":
            code = _ERROR_CODES.get(rule.status, "INTERNAL_SERVER_ERROR")
            raise ApiError(rule.status, code, "The sandbox injected a server error (fault spec).")
        if kind == "timeout":
            await rule.wait_timeout()
            raise ApiError(504, "GATEWAY_TIMEOUT", "The sandbox injected a timeout (fault spec).")
