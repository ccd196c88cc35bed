"""Idempotency-Key store with Stripe's v1 semantics (STRIPE_REFUNDS.md §4).

* Scoped per API key: the same key string under two API keys is two different requests.
* Once execution began, the first response (status + exact body bytes, 4xx included) is stored and
  replayed for the same endpoint + params; different endpoint or params -> 400 `idempotency_error`.
* A key whose first request is still executing answers 409 `idempotency_key_in_use`
  (stripe-python retries 409 by itself).
* Entries expire after 24 h, like Stripe's pruning window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sandboxes.persist import TrackedDict

from .errors import StripeError, idempotency, invalid

MAX_KEY_LENGTH = 255
TTL_SECONDS = 24 * 3600


@dataclass(frozen=True)
class StoredResponse:
    endpoint: str
    fingerprint: str
    status: int
    body: bytes
    request_id: str
    stored_at: float


class IdempotencyStore:
    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], StoredResponse] = TrackedDict()  # saved by persisted.py
        self._in_flight: set[tuple[str, str]] = set()

    @staticmethod
    def check_key(key: str) -> None:
        if len(key) > MAX_KEY_LENGTH:
            raise invalid(
                f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters long.",
                param="Idempotency-Key",
            )

    def lookup(self, scope: tuple[str, str], endpoint: str, fingerprint: str) -> StoredResponse | None:
        entry = self._entries.get(scope)
        if entry is not None and time.time() - entry.stored_at > TTL_SECONDS:
            del self._entries[scope]
            entry = None
        if entry is None:
            if scope in self._in_flight:
                raise StripeError(
                    409,
                    "There is currently another in-progress request using this Idempotent Key "
                    "(that probably means you submitted twice, and the other request is still "
                    "going through). Please try again later.",
                    code="idempotency_key_in_use",
                )
            return None
        if entry.endpoint != endpoint:
            raise idempotency(
                f"Keys for idempotent requests can only be used for the same endpoint they were "
                f"first used for ('{entry.endpoint}' vs '{endpoint}'). Try using a key other "
                f"than '{scope[1]}' if you meant to execute a different request."
            )
        if entry.fingerprint != fingerprint:
            raise idempotency(
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{scope[1]}' if you meant to "
                "execute a different request."
            )
        return entry

    def begin(self, scope: tuple[str, str]) -> None:
        self._in_flight.add(scope)

    def end(self, scope: tuple[str, str]) -> None:
        self._in_flight.discard(scope)

    def store(
        self, scope: tuple[str, str], endpoint: str, fingerprint: str, status: int, body: bytes, request_id: str
    ) -> None:
        self._entries[scope] = StoredResponse(endpoint, fingerprint, status, body, request_id, time.time())

    @property
    def entries(self) -> dict[tuple[str, str], StoredResponse]:
        return self._entries

    def __len__(self) -> int:
        return len(self._entries)
