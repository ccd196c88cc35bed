"""Fault injection for /v1 endpoints.

Spec (JSON), keyed by "METHOD /path" — exact, or an fnmatch glob such as "GET /v1/refunds/*" or
"* /v1/*" (exact keys win, then globs in spec order):

    {"POST /v1/refunds": {"error_rate": 0.2, "status": 500, "rate_limit_rate": 0.1,
                          "latency_ms": 100, "timeout_rate": 0.05, "timeout_ms": 30000,
                          "seed": 1, "after_execute": false, "max_faults": null}}

One seeded `random.Random` draw per matching request picks rate_limit (429), error (`status`,
`api_error` body) or timeout, in that order of the cumulative rates.  `latency_ms` delays every
matching request.  `max_faults` stops injecting after that many faults ("fail twice, then work").

Faults normally fire before any state change or idempotency bookkeeping (the request never
reached Stripe).  With `after_execute: true` they fire after the operation ran and its response
was stored under the Idempotency-Key — the response is lost on the way back, so a retry with the
same key receives the stored result.  A timeout then delays the real response by `timeout_ms`
(the client gives up first); a pre-execution timeout waits `timeout_ms` and answers 500.
Idempotent replays never execute, so after_execute faults do not fire on them.
"""

from __future__ import annotations

import fnmatch
import random
from dataclasses import dataclass, field
from typing import Any

_NUMBER_FIELDS = {"error_rate", "rate_limit_rate", "timeout_rate"}
_INT_FIELDS = {"status", "latency_ms", "timeout_ms", "seed", "max_faults"}
_FIELDS = _NUMBER_FIELDS | _INT_FIELDS | {"after_execute"}


@dataclass
class FaultRule:
    error_rate: float = 0.0
    status: int = 500
    rate_limit_rate: float = 0.0
    latency_ms: int = 0
    timeout_rate: float = 0.0
    timeout_ms: int = 30000
    seed: int = 0  # default seed keeps runs reproducible unless the spec says otherwise
    after_execute: bool = False
    max_faults: int | None = None
    injected: int = 0
    rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def draw(self) -> str | None:
        """Return "rate_limit", "error", "timeout" or None for this request."""
        total = self.rate_limit_rate + self.error_rate + self.timeout_rate
        if total <= 0 or (self.max_faults is not None and self.injected >= self.max_faults):
            return None
        roll = self.rng.random()
        kind = None
        if roll < self.rate_limit_rate:
            kind = "rate_limit"
        elif roll < self.rate_limit_rate + self.error_rate:
            kind = "error"
        elif roll < total:
            kind = "timeout"
        if kind:
            self.injected += 1
        return kind


def _parse_rule(pattern: str, raw: Any) -> FaultRule:
    if not isinstance(raw, dict):
        raise ValueError(f"fault rule for {pattern!r} must be an object")
    unknown = set(raw) - _FIELDS
    if unknown:
        raise ValueError(f"unknown fault option(s) for {pattern!r}: {sorted(unknown)}")
    for name in _NUMBER_FIELDS & set(raw):
        if not isinstance(raw[name], (int, float)) or not 0 <= raw[name] <= 1:
            raise ValueError(f"{pattern}: {name} must be a number in [0, 1]")
    for name in _INT_FIELDS & set(raw):
        if raw[name] is not None and (not isinstance(raw[name], int) or raw[name] < 0):
            raise ValueError(f"{pattern}: {name} must be a non-negative integer")
    if "after_execute" in raw and not isinstance(raw["after_execute"], bool):
        raise ValueError(f"{pattern}: after_execute must be a boolean")
    rule = FaultRule(**raw)
    if rule.rate_limit_rate + rule.error_rate + rule.timeout_rate > 1:
        raise ValueError(f"{pattern}: the rates add up to more than 1")
    if not 400 <= rule.status <= 599:
        raise ValueError(f"{pattern}: status must be an HTTP error status (400-599)")
    return rule


class Faults:
    def __init__(self, spec: dict[str, Any] | None = None) -> None:
        self.spec: dict[str, Any] = {}
        self._rules: dict[str, FaultRule] = {}
        self.replace(spec or {})

    def replace(self, spec: Any) -> None:
        """Validate fully before swapping, so a bad PUT leaves the old rules in place."""
        if not isinstance(spec, dict):
            raise ValueError("fault spec must be a JSON object keyed by 'METHOD /path'")
        rules = {}
        for pattern, raw in spec.items():
            if len(pattern.split(" ")) != 2:
                raise ValueError(f"fault key {pattern!r} must look like 'POST /v1/refunds'")
            rules[pattern] = _parse_rule(pattern, raw)
        self.spec, self._rules = dict(spec), rules

    def match(self, method: str, path: str) -> FaultRule | None:
        target = f"{method} {path}"
        if target in self._rules:
            return self._rules[target]
        for pattern, rule in self._rules.items():
            if fnmatch.fnmatchcase(target, pattern):
                return rule
        return None
