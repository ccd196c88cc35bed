"""Fault injection for /v2 requests, applied before the request touches any state.

Spec (JSON object), keyed by "METHOD /path", "/path" (any method) or "*"; paths may be fnmatch
globs. The exact key wins, then globs in spec order; one rule applies per request:

    {"seed": 7,
     "POST /v2/shipments/*/buy": {"error_rate": 0.2, "status": 503},
     "*": {"rate_limit_rate": 0.1, "latency_ms": 50, "timeout_rate": 0.0, "timeout_ms": 30000}}

`latency_ms` delays every matching request.  Then one draw from the rule's seeded
random.Random picks rate limit (429 RATE_LIMITED), error (`status`, default 503) or timeout
(wait `timeout_ms`, then 504), by cumulative rate.  `max_faults` stops injecting after that many
("fail twice, then work").  The seed is per rule: a top-level "seed" is the default, else 0.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import random
from dataclasses import dataclass, field
from typing import Any

from sandboxes.easypost.errors import ApiError

_RATES = ("error_rate", "rate_limit_rate", "timeout_rate")
_INTS = ("status", "latency_ms", "timeout_ms", "seed", "max_faults")
_ERROR_CODES = {500: "INTERNAL_SERVER_ERROR", 502: "BAD_GATEWAY", 503: "SERVICE_UNAVAILABLE",
                504: "GATEWAY_TIMEOUT"}


@dataclass
class Rule:
    error_rate: float = 0.0
    status: int = 503
    rate_limit_rate: float = 0.0
    latency_ms: int = 0
    timeout_rate: float = 0.0
    timeout_ms: int = 30000
    seed: int = 0
    max_faults: int | None = None
    injected: int = 0
    rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def draw(self) -> str | None:
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


def _rule(key: str, value: Any, default_seed: int) -> Rule:
    if not isinstance(value, dict):
        raise ValueError(f"fault rule {key!r} must be an object")
    unknown = set(value) - set(_RATES) - set(_INTS)
    if unknown:
        raise ValueError(f"fault rule {key!r} has unknown fields {sorted(unknown)}")
    args: dict[str, Any] = {"seed": default_seed}
    for name in _RATES:
        if name in value:
            rate = value[name]
            if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
                raise ValueError(f"{key}: {name} must be a number between 0 and 1")
            args[name] = float(rate)
    for name in _INTS:
        if name in value and value[name] is not None:
            if isinstance(value[name], bool) or not isinstance(value[name], int) or value[name] < 0:
                raise ValueError(f"{key}: {name} must be a non-negative integer")
            args[name] = value[name]
    if not 400 <= args.get("status", 503) <= 599:
        raise ValueError(f"{key}: status must be a 4xx or 5xx code")
    return Rule(**args)


class Faults:
    def __init__(self, spec: dict[str, Any] | str | None = None) -> None:
        if isinstance(spec, str):
            try:
                spec = json.loads(spec) if spec.strip() else {}
            except json.JSONDecodeError as exc:
                raise ValueError(f"fault spec is not JSON: {exc}") from None
        spec = spec or {}
        if not isinstance(spec, dict):
            raise ValueError("fault spec must be a JSON object")
        seed = spec.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError("seed must be an integer")
        self.spec = spec
        self.rules = {key: _rule(key, value, seed) for key, value in spec.items() if key != "seed"}

    def match(self, method: str, path: str) -> Rule | None:
        request = f"{method} {path}"
        for key in (request, path):
            if key in self.rules:
                return self.rules[key]
        for key, rule in self.rules.items():
            pattern = key if (" " in key or key == "*") else f"* {key}"
            if fnmatch.fnmatchcase(request, pattern):
                return rule
        return None

    async def apply(self, method: str, path: str) -> None:
        """Sleep and/or raise the injected error; returns normally when the request may proceed."""
        rule = self.match(method, path)
        if rule is None:
            return
        if rule.latency_ms:
            await asyncio.sleep(rule.latency_ms / 1000)
        kind = rule.draw()
        if kind == "rate_limit":
            raise ApiError(429, "RATE_LIMITED", "Too many requests; slow down and retry later.")
        if kind == "error":
            code = _ERROR_CODES.get(rule.status, "INTERNAL_SERVER_ERROR")
            raise ApiError(rule.status, code, "The sandbox injected a server error (fault spec).")
        if kind == "timeout":
            await asyncio.sleep(rule.timeout_ms / 1000)
            raise ApiError(504, "GATEWAY_TIMEOUT", "The sandbox injected a timeout (fault spec).")
