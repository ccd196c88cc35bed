"""Worker memory with many open returns: `python -m bench.open_returns --returns 10000`.

Starts its own embedded stack (as `make run` does, on free ports, under .data/bench-open-returns), puts N orders
straight into the database and starts N return workflows straight through the Temporal client (the API's create is
not what is measured here, and would take hours at 10,000). Each return buys its label in the EasyPost sandbox,
emails it, and then waits for the carrier's first scan: open, as most returns are most of their life. The worker
process's RSS is printed every `--step` returns and again after every workflow has been queried once (so each one
has been through the worker's sticky cache again, most of them replayed into it after being evicted). Prints; never
asserts. The target: at most 300 MiB, and flat as returns accumulate.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.table import Table

from bench.e2e import CUSTOMER, LINE
from cli.ports import settings_on_free_ports
from cli.stack import Stack
from db.seed import DEMO_MERCHANT_ID
from db.session import make_engine
from domain.policy import ReturnContext, ReturnPolicy
from domain.returns import OrderFacts, Resolution, ReturnLine, ReturnReason
from settings import Settings
from workers.client import connect
from workflows import search_attributes as wsa
from workflows.ids import TASK_QUEUE, return_workflow_id
from workflows.messages import ReturnInput
from workflows.returns import ReturnWorkflow

console = Console()
TARGET_MIB = 300


def rss_mib(pid: int) -> float:
    """The process's resident set (VmRSS in /proc/<pid>/status), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def insert_orders(database_url: str, n: int, placed_at: datetime) -> list[str]:
    """N one-line orders of the demo merchant, in one transaction (the API's PUT /v1/orders is not measured)."""
    ids = [f"open-{uuid.uuid4().hex[:12]}" for _ in range(n)]
    orders = sa.table(
        "orders",
        *(sa.column(c) for c in ("merchant_id", "id", "placed_at", "delivered_at", "currency", "updated_at")),
        sa.column("customer", sa.JSON),
        sa.column("lines", sa.JSON),
    )
    rows = [
        dict(
            merchant_id=DEMO_MERCHANT_ID,
            id=order_id,
            placed_at=placed_at,
            delivered_at=placed_at + timedelta(days=2),
            currency="USD",
            customer=CUSTOMER,
            lines=[LINE],
            updated_at=placed_at,
        )
        for order_id in ids
    ]
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(orders.insert(), rows)
    finally:
        engine.dispose()
    return ids


def return_input(order_id: str, placed_at: datetime) -> ReturnInput:
    return_id = f"ret_{uuid.uuid4().hex[:24]}"
    line = ReturnLine(
        line_id=LINE["id"],
        sku=LINE["sku"],
        quantity=1,
        unit_price=LINE["unit_price"],
        category=LINE["category"],
        reason=ReturnReason.TOO_SMALL,
    )
    return ReturnInput(
        return_id=return_id,
        merchant_id=DEMO_MERCHANT_ID,
        context=ReturnContext(
            order=OrderFacts(
                order_id=order_id, currency="USD", placed_at=placed_at, delivered_at=placed_at + timedelta(days=2)
            ),
            destination_country="US",
            order_value=LINE["unit_price"],
        ),
        lines=[line],
        resolution=Resolution.REFUND,
        policy=ReturnPolicy(default_window_days=30),
        requested_at=datetime.now(UTC),
        request_fingerprint=hashlib.sha256(return_id.encode()).hexdigest(),
    )


def waiting_for_scan(database_url: str) -> int:
    """Returns whose label is bought and which now wait for the carrier (the projection's status)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM returns WHERE status = 'label_created'")).scalar_one()
    finally:
        engine.dispose()


async def wait_for_labels(database_url: str, expected: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while (done := waiting_for_scan(database_url)) < expected and time.monotonic() < deadline:
        await asyncio.sleep(1)
    return done


async def open_returns(settings: Settings, worker_pid: int, n: int, step: int, concurrency: int, touch: bool) -> None:
    client = await connect(settings.temporal_address, settings=settings)
    placed_at = datetime.now(UTC) - timedelta(days=5)
    gate = asyncio.Semaphore(concurrency)
    ids: list[str] = []
    curve = Table(title="worker RSS as returns wait for their first scan", show_header=True)
    for col in ("open returns", "worker RSS", "target", "took"):
        curve.add_column(col, justify="right")

    async def start(inp: ReturnInput) -> None:
        async with gate:
            await client.start_workflow(
                ReturnWorkflow.run,
                inp,
                id=return_workflow_id(inp.return_id),
                task_queue=TASK_QUEUE,
                search_attributes=wsa.at_start(inp.merchant_id, inp.context.order.order_id),  # as the API starts it
            )

    def row(label: str, took: float) -> None:
        mib = rss_mib(worker_pid)
        mark = "[green]" if mib <= TARGET_MIB else "[red]"
        curve.add_row(label, f"{mark}{mib:.0f} MiB", f"≤ {TARGET_MIB} MiB", f"{took:.0f} s")
        console.print(f"{label:>28}: worker RSS {mib:6.0f} MiB (target ≤ {TARGET_MIB}), {took:.0f} s")

    began = time.perf_counter()
    row("0 (worker idle)", 0)
    opened = 0
    while opened < n:
        batch = min(step, n - opened)
        orders = insert_orders(settings.database_url, batch, placed_at)
        inputs = [return_input(o, placed_at) for o in orders]
        await asyncio.gather(*(start(inp) for inp in inputs))
        ids += [inp.return_id for inp in inputs]
        opened += batch
        done = await wait_for_labels(settings.database_url, opened, timeout=60 + batch)
        row(f"{done:,}" if done == opened else f"{done:,} of {opened:,}", time.perf_counter() - began)
    if touch:
        # Every workflow queried once: each goes through the sticky cache, evicting the least recently used; those
        # not cached are replayed from their history. The cache is then full of the most recently queried.
        async def query(return_id: str) -> None:
            async with gate:
                await client.get_workflow_handle_for(ReturnWorkflow.run, return_workflow_id(return_id)).query(
                    ReturnWorkflow.view
                )

        await asyncio.gather(*(query(r) for r in ids))
        row(f"{opened:,}, each queried once", time.perf_counter() - began)
    console.print(curve)


def main(
    returns: int = typer.Option(10_000, help="how many returns to open"),
    step: int = typer.Option(1_000, help="print the worker's RSS after every this many"),
    concurrency: int = typer.Option(64, help="workflow starts (and queries) in flight at once"),
    touch: bool = typer.Option(True, help="then query every workflow once and print RSS again"),
    max_cached_workflows: int | None = typer.Option(None, help="the worker's sticky cache (default: the setting's)"),
) -> None:
    data_dir = Path(".data/bench-open-returns")
    shutil.rmtree(data_dir, ignore_errors=True)  # a fresh stack each run; its logs stay until the next
    extra = {} if max_cached_workflows is None else {"worker_max_cached_workflows": max_cached_workflows}
    settings = settings_on_free_ports(
        data_dir,
        worker_metrics_address="",  # a fixed port may be taken by `make run`; memory is read from /proc
        carrier_requests_per_second=1000.0,  # the sandbox has no rate limit to respect
        **extra,
    )
    stack = Stack(settings, temporal_ui=False)
    with console.status("starting the embedded stack…"):
        stack.start()
    started = time.perf_counter()
    try:
        worker_pid = stack.children["worker"].proc.pid
        asyncio.run(open_returns(settings, worker_pid, returns, step, concurrency, touch))
    finally:
        stack.stop()
    console.print(f"{returns:,} open returns in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    typer.run(main)
