"""Worker process: `python -m workers.main`.

Two task queues: `returns` runs the workflow and the database/payment
activities; `carrier` runs EasyPost calls alone: each process slows down when
EasyPost answers 429 (activities/carrier_pace.py), and a configured ceiling
limits the whole queue, every worker together.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial

import stripe
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.worker import Worker

from activities.carrier import CarrierActivities
from activities.carrier_pace import set_ceiling
from activities.easypost_client import easypost_client
from activities.email import EmailActivities, SmtpConfig
from activities.exchanges import ExchangeActivities
from activities.inventory import InventoryActivities
from activities.merchant_accounts import MerchantClients
from activities.notify import NotifyActivities
from activities.outbox import OutboxDrain
from activities.payments import PaymentActivities
from activities.portal_links import portal_link
from activities.routing import RoutingActivities
from activities.shopper_mail import ShopperMailer
from activities.store import StoreActivities
from activities.webhook_sender import WebhookSender
from db.session import make_engine
from db.types import utcnow
from settings import Settings, get_settings
from workers.client import connect_retrying, settings_dial
from workers.codec import payload_codec
from workers.logs import ActivityLogContext, setup_logging
from workers.telemetry import worker_runtime
from workers.tracing import setup_tracing
from workers.trouble import SideEffectWatch, WorkflowTaskWatch
from workflows.ids import CARRIER_TASK_QUEUE, OUTBOX_WORKFLOW, OUTBOX_WORKFLOW_ID, TASK_QUEUE
from workflows.merchant_notification import MerchantNotificationWorkflow
from workflows.outbox_workflow import OutboxWorkflow
from workflows.returns import ReturnWorkflow
from workflows.transfer_workflow import TransferWorkflow

log = logging.getLogger("returnflow.worker")


def build_workers(client: Client, settings: Settings, engine: Engine, executor: ThreadPoolExecutor) -> list[Worker]:
    stripe_client = stripe.StripeClient(
        settings.stripe_api_key.get_secret_value(),
        base_addresses={"api": settings.stripe_base_url},
        max_network_retries=0,  # Temporal retries, with backoff and a deadline
    )
    # Each merchant's own EasyPost/Stripe account where it set a key, else the platform's (looked up by merchant id).
    accounts = MerchantClients(engine, settings.stored_credentials_key(), settings, settings, stripe_client)
    store = StoreActivities(engine)
    payments = PaymentActivities(
        engine, stripe_client, credit_expiry_days=settings.store_credit_expiry_days, client_for=accounts.stripe
    )
    carrier = CarrierActivities(engine, lambda: easypost_client(settings), client_for=accounts.easypost)
    set_ceiling(settings.carrier_requests_per_second)  # None: no fixed ceiling, EasyPost's 429s set the pace
    notify = NotifyActivities(engine, client)
    routing = RoutingActivities(engine)
    inventory = InventoryActivities(engine)
    exchanges = ExchangeActivities(engine)
    smtp = SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.mail_from,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value(),
        starttls=settings.smtp_starttls,
    )
    links = partial(portal_link, settings.public_url, settings.portal_secret)
    give_up = timedelta(hours=settings.notification_give_up_hours)
    mailer = ShopperMailer(engine, smtp, links, give_up_after=give_up)
    mail = EmailActivities(engine, smtp, portal_link=links, earlier_mail=lambda r: mailer.send_due(utcnow(), r))
    outbox = OutboxDrain(
        WebhookSender(engine, give_up_after=give_up, allow_private=settings.allows_private_webhook_targets),
        mailer,
        poll_seconds=settings.outbox_poll_seconds,
        pipelined=True,
    )
    # A call to the outside failing again and again is on the return's timeline within minutes.
    # ... and every line an activity logs names its workflow and return (workers/logs.py).
    watch = [SideEffectWatch(client, engine, after_attempts=settings.side_effect_alert_attempts), ActivityLogContext()]
    # The two workers share the executor's threads; each takes at most its share of tasks, so an accepted
    # activity always has a thread at once (one waiting in the pool would burn its start-to-close timeout),
    # and slow carrier calls can never starve the returns queue's database steps and payments.
    threads = executor._max_workers
    carrier_slots = max(1, threads // 3)
    return [
        Worker(
            client,
            task_queue=TASK_QUEUE,
            workflows=[ReturnWorkflow, MerchantNotificationWorkflow, TransferWorkflow, OutboxWorkflow],
            activities=[
                store.record_return,
                payments.refund_payment,
                payments.confirm_refund,
                payments.issue_store_credit,
                notify.deliver_merchant_event,
                notify.announce_to_merchant,
                routing.route_items,
                inventory.record_item_step,
                exchanges.reserve_replacements,
                exchanges.release_replacements,
                exchanges.mark_shipped,
                payments.charge_difference,
                mail.send_label_email,
                outbox.drain_outbox,
            ],
            activity_executor=executor,
            max_concurrent_activities=threads - carrier_slots,
            max_cached_workflows=settings.worker_max_cached_workflows,
            interceptors=watch,
        ),
        Worker(
            client,
            task_queue=CARRIER_TASK_QUEUE,
            activities=[
                carrier.buy_return_label,
                carrier.buy_transfer_label,
                carrier.ship_replacement,
                carrier.void_label,
                carrier.confirm_void,
                carrier.schedule_pickup,
                carrier.cancel_pickup,
                carrier.pickup_status,
            ],
            activity_executor=executor,
            max_concurrent_activities=carrier_slots,
            # Across all workers when set (Temporal's matching service enforces it); None: no fixed limit.
            max_task_queue_activities_per_second=settings.carrier_requests_per_second,
            interceptors=watch,
        ),
    ]


async def start_outbox(client: Client) -> None:
    """The outbox's one drain, started afresh by every worker that starts. A worker that died (a crash, a
    deploy) would otherwise hold the drain until its attempt's heartbeat timed out (5 minutes without emails or
    webhooks); terminating the run starts the drain again at once, on whichever worker polls first. Should the
    old drain still be alive on another worker, it runs beside the new one until its next heartbeat finds the
    run gone: every delivery and email is claimed before it is sent, so none goes twice, and none out of order."""
    await client.start_workflow(
        OUTBOX_WORKFLOW,
        id=OUTBOX_WORKFLOW_ID,
        task_queue=TASK_QUEUE,
        id_conflict_policy=WorkflowIDConflictPolicy.TERMINATE_EXISTING,
    )


async def run(settings: Settings) -> None:
    settings.refuse_public_secrets()  # live or publicly reachable: no start with a public development secret
    setup_tracing(settings, service="returnflow-worker")  # before connecting: the client's interceptor uses it
    payload_codec(settings)  # a bad RETURNFLOW_PAYLOAD_CODEC_KEYS stops the start (not connect_retrying's loop)
    runtime = worker_runtime(settings)  # the Prometheus endpoint: SDK metrics and business counters
    # Temporal may be starting or restarting: wait for it (the wait doubling to 30 s) instead of dying.
    client = await connect_retrying(
        settings.temporal_address, settings.temporal_namespace, dial=settings_dial(settings, runtime)
    )
    engine = make_engine(settings.database_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    task_watch = WorkflowTaskWatch(engine).install()  # a workflow task failing goes on the attention list
    with ThreadPoolExecutor(max_workers=32, thread_name_prefix="activity") as executor:
        workers = build_workers(client, settings, engine, executor)
        async with asyncio.TaskGroup() as tg:
            for w in workers:
                tg.create_task(w.run())
            await start_outbox(client)
            draining = tg.create_task(task_watch.drain())
            log.info("worker running on task queues %s", ", ".join(w.task_queue for w in workers))
            await stop.wait()
            draining.cancel()
            for w in workers:
                tg.create_task(w.shutdown())
    task_watch.uninstall()
    engine.dispose()


def main() -> None:
    settings = get_settings()
    setup_logging(settings.log_format, settings.log_level)
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
