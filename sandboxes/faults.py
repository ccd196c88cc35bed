"""Seeded fault rules shared by the sandboxes: spec parsing, request matching and the draw.

A spec is a JSON object keyed by "METHOD /path", "/path" (any method) or "*"; paths may be
fnmatch globs.  The exact key wins, then globs in spec order; one rule applies per request.
A top-level "seed" is the default seed of every rule (else 0), so runs are reproducible.

One draw from the rule's seeded random.Random picks rate limit, error (`status`) or timeout
(`timeout_ms`), by cumulative rate; `latency_ms` delays matching requests and `max_faults` stops
injecting after that many ("fail twice, then work").  When a fault fires and what it looks like
on the wire is up to each sandbox.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import random
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

RATES = ("error_rate", "rate_limit_rate", "timeout_rate")
INTS = ("status", "latency_ms", "timeout_ms", "seed", "max_faults")


@dataclass
class Rule:
    flags: ClassVar[tuple[str, ...]] = ()  # boolean options a sandbox's subclass adds

    error_rate: float = 0.0
    status: int = 500
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

    async def wait_latency(self) -> None:
        if self.latency_ms:
            await asyncio.sleep(self.latency_ms / 1000)

    async def wait_timeout(self) -> None:
        await asyncio.sleep(self.timeout_ms / 1000)


R = TypeVar("R", bound=Rule)


def parse_rule(rule_type: type[R], key: str, value: Any, default_seed: int = 0) -> R:
    if not isinstance(value, dict):
        raise ValueError(f"fault rule {key!r} must be an object")
    unknown = set(value) - set(RATES) - set(INTS) - set(rule_type.flags)
    if unknown:
        raise ValueError(f"fault rule {key!r} has unknown fields {sorted(unknown)}")
    args: dict[str, Any] = {"seed": default_seed}
    for name in RATES:
        if name in value:
            rate = value[name]
            if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
                raise ValueError(f"{key}: {name} must be a number between 0 and 1")
            args[name] = float(rate)
    for name in INTS:
        if name in value and value[name] is not None:  # null means "the default"
            if isinstance(value[name], bool) or not isinstance(value[name], int) or value[name] < 0:
                raise ValueError(f"{key}: {name} must be a non-negative integer")
            args[name] = value[name]
    for name in rule_type.flags:
        if name in value:
            if not isinstance(value[name], bool):
                raise ValueError(f"{key}: {name} must be a boolean")
            args[name] = value[name]
    rule = rule_type(**args)
    if not 400 <= rule.status <= 599:
        raise ValueError(f"{key}: status must be a 4xx or 5xx code")
    return rule


class Faults(Generic[R]):
    rule_type: type[R]

    def __init__(self, spec: dict[str, Any] | str | None = None) -> None:
        if isinstance(spec, str):
            try:
                spec = json.loads(spec) if spec.strip() else None
            except json.JSONDecodeError as exc:
                raise ValueError(f"fault spec is not JSON: {exc}") from None
        self.spec: dict[str, Any] = {}
        self.rules: dict[str, R] = {}
        self.replace(spec or {})

    def replace(self, spec: Any) -> None:
        """Validate fully before swapping, so a bad PUT leaves the old rules in place."""
        if not isinstance(spec, dict):
            raise ValueError("fault spec must be a JSON object")
        self.rules = self.parse(spec)
        self.spec = dict(spec)

    def parse(self, spec: dict[str, Any]) -> dict[str, R]:
        seed = spec.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError("seed must be an integer")
        return {key: parse_rule(self.rule_type, key, value, seed) for key, value in spec.items() if key != "seed"}

    def match(self, method: str, path: str) -> R | None:
        request = f"{method} {path}"
        for key in (request, path):
            if key in self.rules:
                return self.rules[key]
        for key, rule in self.rules.items():
            pattern = key if (" " in key or key == "*") else f"* {key}"
            if fnmatch.fnmatchcase(request, pattern):
                return rule
        return None
