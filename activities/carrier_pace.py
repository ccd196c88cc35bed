"""How fast this process calls EasyPost: as fast as EasyPost lets it, slower for a while after a 429.

EasyPost names no fixed per-account limit for buying and rating: a load-based limiter answers 429
when it wants callers to slow down, and callers are told to retry with backoff and to slow down for
a while (https://docs.easypost.com/guides/rate-limiting-guide). So every request through a client
from easypost_client.py takes a turn from its account's `Pace` (one per API key and base URL, for
the whole process, every thread):

- no limit while EasyPost says nothing, or at most `ceiling` requests/s where one is configured;
- a 429 halves the pace (from what was actually sent in the last second) and holds every request
  until its `Retry-After` has passed (1 s when it names none);
- each calm second after the hold the pace grows by half, until it is back at the ceiling (none: back
  to no limit once it passes what was being sent when the 429 came).

A request that would wait longer than `max_wait` is not sent: `CarrierBusy` says how long to wait,
and the activity fails retryably with that as its next retry delay (activities/errors.py), so an
activity slot is not held through a long hold. The Retry-After of the last 429 a thread saw is kept
for that thread (`retry_after_seen`): the activity's error takes its next retry delay from it.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import easypost.errors as ep

log = logging.getLogger("returnflow.carrier")

RATE_LIMITED = 429
DEFAULT_HOLD_SECONDS = 1.0  # a 429 without Retry-After
LONGEST_HOLD_SECONDS = 600.0  # a Retry-After beyond this is taken as this
SLOWEST = 0.5  # requests/s: the pace never falls below this
RECOVERY = 1.5  # per calm second


class CarrierBusy(ep.EasyPostError):
    """Not sent: the account's pace would hold this request `wait` seconds (an EasyPostError, so the
    activities' `except ep.EasyPostError` maps it like a 429)."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"EasyPost asked us to slow down; next request in {wait:.1f} s")
        self.wait = wait
        self.http_status = RATE_LIMITED


def retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    value = (headers or {}).get("Retry-After") or (headers or {}).get("retry-after")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - (time.time() if now is None else now)
        except (TypeError, ValueError):
            return None
    if math.isnan(seconds):  # passes both clamps below, then fails timedelta() in activities/errors.py
        return None
    return min(max(seconds, 0.0), LONGEST_HOLD_SECONDS)


class Pace:
    """One account's pace (thread-safe). `clock` and `sleep` are injectable for tests."""

    def __init__(
        self,
        ceiling: float | None = None,
        *,
        max_wait: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        account: str = "",
    ) -> None:
        self.account = account  # a digest's first characters, for logs: never the key
        self.ceiling = ceiling
        self.max_wait = max_wait
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._rate: float | None = ceiling  # requests/s now; None: no limit
        self._next = 0.0  # when the next request may go at `_rate`
        self._hold_until = 0.0
        self._changed = float("-inf")  # the last cut or step up
        self._taken_before = 0.0  # requests/s sent when the last 429 came
        self._sent: deque[float] = deque()  # send times within the last second
        self.rate_limited = 0  # 429s seen, for tests and logs

    @property
    def rate(self) -> float | None:
        return self._rate

    def hold_remaining(self) -> float:
        with self._lock:
            return max(0.0, self._hold_until - self._clock())

    def take_turn(self) -> None:
        """Wait for this request's turn; CarrierBusy when that is more than `max_wait` away."""
        with self._lock:
            now = self._clock()
            at = max(now, self._hold_until, self._next if self._rate else now)
            wait = at - now
            if wait > self.max_wait:
                raise CarrierBusy(wait)
            if self._rate:
                self._next = at + 1.0 / self._rate
            self._sent.append(at)
            while self._sent and self._sent[0] < at - 1.0:
                self._sent.popleft()
        if wait > 0:
            self._sleep(wait)

    def answered(self, status: int, headers: Mapping[str, str] | None) -> float | None:
        """Note an answer; for a 429, the hold it asked for (seconds), else None."""
        with self._lock:
            now = self._clock()
            if status == RATE_LIMITED:
                self.rate_limited += 1
                hold = retry_after(headers)
                self._hold_until = max(self._hold_until, now + (DEFAULT_HOLD_SECONDS if hold is None else hold))
                if now - self._changed >= 1.0:  # the other answers of one burst of 429s cut nothing more
                    sent = float(sum(1 for t in self._sent if t >= now - 1.0))
                    base = sent if self._rate is None else (min(self._rate, sent) if sent else self._rate)
                    self._taken_before = base
                    self._rate, self._changed = max(SLOWEST, base / 2), now
                    log.warning(
                        "EasyPost answered 429 (account %s): %.1f requests/s from now, none for %.1f s",
                        self.account,
                        self._rate,
                        self._hold_until - now,
                    )
                return DEFAULT_HOLD_SECONDS if hold is None else hold
            if self._rate is not None and status < 400 and now >= max(self._changed, self._hold_until) + 1.0:
                self._step_up(now)
            return None

    def _step_up(self, now: float) -> None:
        rate = self._rate * RECOVERY
        if self.ceiling is not None and rate >= self.ceiling:
            rate = self.ceiling
        elif self.ceiling is None and rate >= self._taken_before:
            rate = None  # back to what EasyPost took before it pushed back: no limit
        self._rate, self._changed = rate, now


_paces: dict[str, Pace] = {}
_paces_lock = threading.Lock()
_ceiling: float | None = None
_seen = threading.local()


def set_ceiling(ceiling: float | None) -> None:
    """The process's configured ceiling (settings.carrier_requests_per_second) for every account's pace."""
    global _ceiling
    with _paces_lock:
        _ceiling = ceiling
        for pace in _paces.values():
            pace.ceiling = ceiling
            if pace.rate is None or (ceiling is not None and pace.rate > ceiling):
                pace._rate = ceiling


def account_digest(api_key: str, base_url: str) -> str:
    """An EasyPost account (an API key at a base URL) named without keeping its key."""
    return hashlib.sha256(f"{base_url}\0{api_key}".encode()).hexdigest()


def pace_for(api_key: str, base_url: str) -> Pace:
    """The one pace of an account in this process."""
    name = account_digest(api_key, base_url)
    with _paces_lock:
        if name not in _paces:
            _paces[name] = Pace(_ceiling, account=name[:8])
        return _paces[name]


def retry_after_seen() -> float | None:
    """The hold the last 429 this thread saw asked for (None: none since the last call); read once."""
    seen, _seen.hold = getattr(_seen, "hold", None), None
    return seen


def hooks(pace: Pace) -> tuple[Callable[..., None], Callable[..., None]]:
    """The request and response hooks that put an EasyPost client's requests on `pace`."""

    def before(**_: Any) -> None:
        _seen.hold = None
        pace.take_turn()

    def after(*, http_status: int, headers: Mapping[str, str] | None = None, **_: Any) -> None:
        hold = pace.answered(http_status, headers)
        if hold is not None:
            _seen.hold = hold

    return before, after
