"""Delivering merchant events to their endpoints (the outbox's webhook half), in the Standard Webhooks format.

Each round claims the due deliveries that head their (endpoint, return) queue (db/webhook_deliveries.py), so a
return's events reach an endpoint in order while other returns go on; posts them concurrently (at most
`concurrency` at once, each bounded by the timeout) outside any transaction; and records each attempt.
The body is `{"type", "timestamp", "data"}`, compact, exactly the bytes signed; `webhook-id` is the event's
id (merchants drop repeats by it), `webhook-timestamp` the moment it is sent. While a rotated secret overlaps,
both secrets sign (space-separated signatures, as the specification allows). Secrets are never logged.
Each attempt goes to the address its host was checked on (activities/webhook_targets.py); a failed one records
the status code (a public endpoint's body start too) or the kind of network failure, never more (docs/webhooks.md).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import ssl
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.engine import Engine
from standardwebhooks.webhooks import Webhook

from activities import business_metrics, webhook_targets
from db import webhook_deliveries as q
from db.session import session_scope

log = logging.getLogger("returnflow.webhooks")
IN_FLIGHT_PER_ENDPOINT = 4  # of the sender's 16 at once, when rounds do not wait for each other
IN_FLIGHT_PER_MERCHANT = 8  # all of one merchant's endpoints together (ten of them may be one slow URL)
MAX_ERROR = 200  # of an endpoint's answer kept in the log: enough to see why, never a whole page


def body_of(job: q.Job) -> str:
    """The request body, exactly as signed."""
    event = {"type": job.event_type, "timestamp": job.event_at.isoformat(), "data": job.data}
    return json.dumps(event, separators=(",", ":"), sort_keys=False)


def headers_of(job: q.Job, body: str, sent_at: datetime) -> dict[str, str]:
    signatures = " ".join(Webhook(secret).sign(job.event_id, sent_at, body) for secret in job.secrets)
    return {
        "content-type": "application/json",
        "user-agent": "Returnflow-Webhooks/1.0",
        "webhook-id": job.event_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signatures,
    }


class WebhookSender:
    def __init__(
        self,
        engine: Engine,
        *,
        timeout_seconds: float = 10.0,
        give_up_after: timedelta = timedelta(days=3),
        allow_private: bool = True,
    ) -> None:
        self._engine = engine
        self._allow_private = allow_private  # False on an exposed deployment: public addresses only
        self._timeout = timeout_seconds
        self._give_up_after = give_up_after
        self.concurrency = 16
        # A round takes at most two waves of requests, so it ends well within the drain's heartbeat timeout
        # (a minute) even when every endpoint hangs; the drain starts the next round at once when it did work.
        self.batch = self.concurrency * 2
        # A claimed delivery is left alone this long; a sender that died meanwhile leaves it due again after.
        self._lease = timedelta(seconds=timeout_seconds * 3 + 30)
        self._db = ThreadPoolExecutor(max_workers=2, thread_name_prefix="webhook-db")
        # One TLS configuration for every attempt (httpx's default, certifi; loading the CA bundle costs ~10 ms of
        # CPU each time); each attempt still makes its own connection and handshake, checked against its own name.
        self._tls = httpx.create_ssl_context()
        # delivery id -> (endpoint, merchant, its task), started with wait=False; and when each started
        self._in_flight: dict[int, tuple[str, str, asyncio.Task]] = {}
        self._started: dict[int, float] = {}
        self._tasks: set[asyncio.Task] = set()

    async def deliver_due(self, now: datetime, wait: bool = True) -> int:
        """Attempt the deliveries due at `now` (the head of each endpoint's queue per return); the count claimed.

        `wait=False` (the worker's drain): start them and return, so the next round need not wait for the slowest
        endpoint of this one; at most `concurrency` in flight, at most IN_FLIGHT_PER_ENDPOINT of one endpoint, so
        a dead endpoint holds a few slots for its timeout while everyone else's events flow past. `settle` waits
        for what is in flight."""
        if wait:
            jobs = await self._in_db_thread(self._claim, now, self.batch, None)
            if jobs:
                await self._send(jobs, now)
            return len(jobs)
        self._forget_overdue()
        room = self.concurrency - len(self._in_flight)
        if room <= 0:
            return 0
        busy = dict(Counter(endpoint for endpoint, _, _ in self._in_flight.values()))
        merchants_busy = dict(Counter(merchant for _, merchant, _ in self._in_flight.values()))
        jobs = await self._in_db_thread(self._claim, now, room, busy, merchants_busy)
        for job in jobs:
            task = asyncio.create_task(self._send(([job]), now))
            self._in_flight[job.delivery_id] = (job.endpoint_id, job.merchant_id, task)
            self._started[job.delivery_id] = time.monotonic()
            self._tasks.add(task)
            task.add_done_callback(lambda t, d=job.delivery_id: self._done(t, d))
        return len(jobs)

    def _done(self, task: asyncio.Task, delivery_id: int) -> None:
        self._tasks.discard(task)
        self._in_flight.pop(delivery_id, None)
        self._started.pop(delivery_id, None)

    def _forget_overdue(self) -> None:
        """An attempt still running past its lease (it cannot: the request has a timeout, the record a busy
        timeout; but if one ever hangs) gives its slot back and is cancelled: its lease has run out, so the
        delivery is due again, and a hung attempt must never shrink the pump for good."""
        overdue = time.monotonic() - self._lease.total_seconds()
        for delivery_id, started in list(self._started.items()):
            if started < overdue:
                endpoint_id, _, task = self._in_flight.pop(delivery_id, (None, None, None))
                self._started.pop(delivery_id, None)
                log.warning("webhook delivery %s (endpoint %s) overran its lease: slot freed", delivery_id, endpoint_id)
                if task is not None:
                    task.cancel()

    async def settle(self) -> None:
        """Wait for every delivery started with `wait=False`."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def send_now(self, delivery_ids: list[int], now: datetime) -> list[tuple[q.Job, q.Outcome, str]]:
        """Attempt these deliveries at once, whatever their queue (the test ping): (job, outcome, new status)."""
        jobs = await self._in_db_thread(self._jobs, delivery_ids, now)
        return await self._send(jobs, now)

    async def _in_db_thread(self, fn, *args):
        """Database work in the sender's own threads: never queued behind name lookups or anything else."""
        return await asyncio.get_running_loop().run_in_executor(self._db, functools.partial(fn, *args))

    def _claim(
        self, now: datetime, limit: int, busy: dict[str, int] | None, merchants_busy: dict[str, int] | None = None
    ) -> list[q.Job]:
        pipelined = busy is not None
        per_endpoint = IN_FLIGHT_PER_ENDPOINT if pipelined else q.PER_ENDPOINT
        per_merchant = IN_FLIGHT_PER_MERCHANT if pipelined else None
        with session_scope(self._engine) as session:
            return q.claim_due(session, now, self._lease, limit, per_endpoint, busy, merchants_busy, per_merchant)

    def _jobs(self, delivery_ids: list[int], now: datetime) -> list[q.Job]:
        with session_scope(self._engine) as session:
            return q.jobs(session, delivery_ids, now)

    async def _send(self, jobs: list[q.Job], now: datetime) -> list[tuple[q.Job, q.Outcome, str]]:
        gate = asyncio.Semaphore(self.concurrency)

        async def one(job: q.Job) -> q.Outcome:
            async with gate:
                return await self._post(job)

        outcomes = await asyncio.gather(*(one(job) for job in jobs))
        statuses = await self._in_db_thread(self._record, jobs, outcomes, now)
        return list(zip(jobs, outcomes, statuses, strict=True))

    async def _post(self, job: q.Job) -> q.Outcome:
        target = await webhook_targets.check(job.url)
        if target.refusal and not self._allow_private:
            return q.Outcome(delivered=False, status_code=None, error=f"not sent: {target.refusal}", latency_ms=0)
        if not target.addresses:  # no name lookup of httpx's own: it would run unbounded, in the loop's threads
            return q.Outcome(delivered=False, status_code=None, error="connection failed", latency_ms=0)
        body = body_of(job)
        headers = headers_of(job, body, datetime.now(UTC))
        # To the address just checked: the name cannot resolve elsewhere in between.
        url, host, extensions = webhook_targets.pinned(job.url, target.addresses[0])
        headers.update(host)
        started = time.monotonic()
        try:
            # The whole attempt, not each read: an endpoint that answers a byte at a time still ends in time.
            code, error = await asyncio.wait_for(
                self._exchange(url, body, headers, extensions, show=target.refusal is None), self._timeout
            )
        except (httpx.TimeoutException, TimeoutError):
            error, code = f"timed out after {self._timeout:g} s", None
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as err:
            error, code = _failure(err), None
        latency = int((time.monotonic() - started) * 1000)
        if error:
            log.info("webhook %s to endpoint %s: %s", job.event_id, job.endpoint_id, code or "no answer")
        return q.Outcome(delivered=error is None, status_code=code, error=error, latency_ms=latency)

    async def _exchange(
        self, url: httpx.URL, body: str, headers: dict[str, str], extensions: dict, *, show: bool
    ) -> tuple[int, str | None]:
        """One request on a connection of its own: (status code, error or None).

        A client per attempt, never a shared pool: connections are pooled by (scheme, address, port) and the
        address is pinned, so a pooled connection whose certificate was checked for one endpoint's name would
        carry another endpoint's request on the same address unchecked. The answer is streamed and at most
        MAX_ERROR bytes of it read (only when it is shown): an endless body costs neither memory nor more time."""
        timeout = httpx.Timeout(self._timeout)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, verify=self._tls) as client:
            request = client.build_request("POST", url, content=body.encode(), headers=headers, extensions=extensions)
            r = await client.send(request, stream=True)
            try:
                if r.is_success:
                    return r.status_code, None
                # Only a public endpoint's own words are shown back: an internal service's page is never read out.
                start = await _start_of(r) if show and r.status_code >= 400 else b""
                return r.status_code, _answer(r.status_code, start)
            finally:
                await r.aclose()

    def _record(self, jobs: list[q.Job], outcomes: list[q.Outcome], now: datetime) -> list[str]:
        statuses = []
        for job, outcome in zip(jobs, outcomes, strict=True):
            try:
                with session_scope(self._engine) as session:  # one transaction each: one bad row stops no other
                    statuses.append(q.record_attempt(session, job, outcome, now, self._give_up_after))
                business_metrics.webhook_attempted(outcome.delivered)
            except Exception:  # its lease runs out and it is tried again; the others are recorded
                log.exception("webhook delivery %s (endpoint %s) not recorded", job.delivery_id, job.endpoint_id)
                statuses.append(q.PENDING)
        return statuses


async def _start_of(r: httpx.Response) -> bytes:
    """At most MAX_ERROR bytes of the answer's body (decoded as sent: gzip is inflated chunk by chunk)."""
    start = b""
    async for chunk in r.aiter_bytes():
        start += chunk
        if len(start) >= MAX_ERROR:
            break
    return start[:MAX_ERROR]


def _answer(status_code: int, start: bytes) -> str:
    """`HTTP 503`, and for a 4xx/5xx from a public endpoint the start of what it said (printable characters)."""
    text = "".join(ch for ch in start.decode("utf-8", "replace") if ch.isprintable()).strip()
    return f"HTTP {status_code}" + (f": {text}" if text else "")


def _failure(err: BaseException) -> str:
    """What kind of failure, never the exception's text: that would tell an open port from a closed one."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return "TLS error"
        seen = seen.__cause__ or seen.__context__
    return "connection failed"
