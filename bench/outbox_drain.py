"""The notification outbox's drain, measured: how fast one drain sends events and emails, and what a dead
endpoint costs everyone else.

    .venv/bin/python -m bench.outbox_drain --returns 300

On a fresh SQLite database (migrated for real), `--returns` returns of `--merchants` shops each get four events
(to one endpoint per shop: a local receiver that verifies nothing and answers 204) and two emails (to the real
SMTP sink); then rounds of OutboxDrain.drain_once run until nothing is due. A second pass adds a shop whose
endpoint never answers (`--dead` deliveries waiting) and times the same work beside it. It prints figures and
asserts nothing. Temporal is not involved: notifications cost a return no Temporal action.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import secrets
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from temporalio.testing import ActivityEnvironment

from activities.email import SmtpConfig
from activities.outbox import OutboxDrain
from activities.shopper_mail import ShopperMailer
from activities.webhook_sender import WebhookSender
from db import outbox
from db.migrate import upgrade
from db.session import make_engine, session_scope
from db.tables import EventDelivery, ReturnChoice, ReturnRecord, ShopperEmail, WebhookEndpoint
from domain.notifications import Announcement, EventType, MailKind
from sandboxes.mail.app import serve_mail_in_thread
from sandboxes.serve import serve_in_thread
from tests.factories import insert_order, new_merchant

EVENTS = (
    EventType.RETURN_CREATED,
    EventType.RETURN_LABEL_CREATED,
    EventType.RETURN_IN_TRANSIT,
    EventType.RETURN_RECEIVED,
)
MAILS = (MailKind.IN_TRANSIT, MailKind.RECEIVED)


async def ok(request: Request) -> Response:
    await request.body()
    return Response(status_code=204)


async def hang(request: Request) -> Response:
    await asyncio.sleep(60)  # never answers within the sender's timeout
    return Response(status_code=204)


def endpoint(engine, merchant_id: str, url: str) -> str:
    secret, endpoint_id = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode(), f"we_{secrets.token_hex(8)}"
    with session_scope(engine) as s:
        s.add(WebhookEndpoint(id=endpoint_id, merchant_id=merchant_id, url=url, secret=secret))
    return endpoint_id


def returns_of(engine, merchant_id: str, n: int, now: datetime, with_mail: bool = True) -> None:
    order = insert_order(engine, merchant_id, None)
    for _ in range(n):
        rid = f"ret_{secrets.token_hex(12)}"
        with session_scope(engine) as s:
            s.add(
                ReturnRecord(
                    id=rid,
                    merchant_id=merchant_id,
                    order_id=order.id,
                    status="received",
                    resolution="refund",
                    items=[{"line_id": "L1", "sku": "TEE", "quantity": 1, "reason": "too_small"}],
                    request_fingerprint="fp",
                    created_at=now,
                    updated_at=now,
                )
            )
            s.add(
                ReturnChoice(return_id=rid, merchant_id=merchant_id, language="nl", send_method="label", created_at=now)
            )
            news = [Announcement(key=e.value, event=e) for e in EVENTS]
            news += [Announcement(key=f"mail:{m.value}", mail=m) for m in MAILS] if with_mail else []
            outbox.keep(s, merchant_id, rid, "received", news, {"return_id": rid}, now)


async def drained(drain: OutboxDrain, engine, skip_endpoint: str | None = None) -> float:
    """The worker's drain activity (its two pumps, for real, in Temporal's ActivityEnvironment) until every
    delivery (but the dead endpoint's) and every email is done; the seconds it took."""
    env = ActivityEnvironment()
    running = asyncio.ensure_future(env.run(drain.drain_outbox, 3600))
    started = time.monotonic()
    while not await asyncio.to_thread(all_done, engine, skip_endpoint):
        await asyncio.sleep(0.05)
    seconds = time.monotonic() - started
    env.cancel()
    with contextlib.suppress(BaseException):
        await running
    return seconds


def all_done(engine, skip_endpoint: str | None) -> bool:
    with session_scope(engine) as s:
        waiting = select(func.count()).select_from(EventDelivery).where(EventDelivery.status == "pending")
        if skip_endpoint:
            waiting = waiting.where(EventDelivery.endpoint_id != skip_endpoint)
        mails = select(func.count()).select_from(ShopperEmail).where(ShopperEmail.status == "pending")
        return s.exec(waiting).one() == 0 and s.exec(mails).one() == 0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--returns", type=int, default=300)
    ap.add_argument("--merchants", type=int, default=10)
    ap.add_argument("--dead", type=int, default=200)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-outbox-"))
    url = f"sqlite:///{folder / 'returnflow.db'}"
    upgrade(url)
    engine = make_engine(url)
    mail_url, smtp_port, stop_mail = serve_mail_in_thread()
    good, stop_good = serve_in_thread(Starlette(routes=[Route("/hooks", ok, methods=["POST"])]))
    dead, stop_dead = serve_in_thread(Starlette(routes=[Route("/hooks", hang, methods=["POST"])]))
    smtp = SmtpConfig(host="127.0.0.1", port=smtp_port, sender="returns@bench.test")
    sender = WebhookSender(engine, timeout_seconds=2.0)
    drain = OutboxDrain(sender, ShopperMailer(engine, smtp), poll_seconds=0.05, pipelined=True)
    now = datetime.now(UTC)
    try:
        per = max(1, args.returns // args.merchants)
        shops = []
        for _ in range(args.merchants):
            merchant_id, _, _ = new_merchant(engine)
            endpoint(engine, merchant_id, f"{good}/hooks")
            shops.append(merchant_id)
        for merchant_id in shops:
            returns_of(engine, merchant_id, per, now)
        n = per * len(shops)
        seconds = asyncio.run(drained(drain, engine))
        print(
            f"{n} returns, {n * len(EVENTS)} events, {n * len(MAILS)} emails: drained in {seconds:.1f} s: "
            f"{n * len(EVENTS) / seconds:.0f} deliveries/s and {n * len(MAILS) / seconds:.0f} emails/s"
        )

        dead_shop, _, _ = new_merchant(engine)
        dead_endpoint = endpoint(engine, dead_shop, f"{dead}/hooks")
        returns_of(engine, dead_shop, args.dead // len(EVENTS) + 1, now, with_mail=False)
        for merchant_id in shops:
            returns_of(engine, merchant_id, per, now + timedelta(seconds=1))
        seconds = asyncio.run(drained(drain, engine, dead_endpoint))
        print(
            f"beside a dead endpoint with {args.dead}+ deliveries waiting (each attempt a 2 s timeout): "
            f"the other shops' {n * len(EVENTS)} events and {n * len(MAILS)} emails took {seconds:.1f} s"
        )
    finally:
        stop_good()
        stop_dead()
        stop_mail()
        engine.dispose()


if __name__ == "__main__":
    main()
