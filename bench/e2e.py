"""End-to-end benchmark: `make bench` (or `python -m bench.e2e --returns 200`).

Starts its own embedded stack (as `make run` does, on free ports, in a temp
folder), drives N returns concurrently through the whole lifecycle over HTTP —
create, four carrier webhooks, dock receipt, inspection, refund — and in the
same run N "floor" workflows on the same Temporal server. Prints figures only.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import time
import uuid
from pathlib import Path

import httpx
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from temporalio.worker import Worker

from bench.floor import FLOOR_TASK_QUEUE, SIGNALS, FloorWorkflow, floor_step
from cli.stack import Stack
from db.seed import DEMO_MERCHANT_ID
from settings import Settings
from workers.client import connect
from workflows.ids import return_workflow_id

console = Console()
RETURN_BODY_ITEMS = [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _order(pi: str) -> dict:
    return {
        "placed_at": "2026-11-20T10:00:00Z",
        "delivered_at": "2026-11-22T10:00:00Z",
        "currency": "USD",
        "customer": {
            "email": "bench@example.com",
            "name": "Bench Shopper",
            "address": {
                "name": "Bench Shopper",
                "street1": "417 Montgomery St",
                "city": "San Francisco",
                "state": "CA",
                "zip": "94104",
                "country": "US",
            },
        },
        "lines": [{"id": "L1", "sku": "TEE-M", "quantity": 1, "unit_price": 2500, "category": "apparel"}],
        "payment": {"provider": "stripe", "reference": pi},
    }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def drive_returns(
    settings: Settings, n: int, concurrency: int, progress: Progress
) -> tuple[float, list[float], list[str]]:
    merchant = {"Authorization": f"Bearer {settings.demo_merchant_key.get_secret_value()}"}
    warehouse = {"Authorization": f"Bearer {settings.demo_warehouse_key.get_secret_value()}"}
    # Idle connections expire before the server's keep-alive does, so none is reused as it closes.
    limits = httpx.Limits(max_connections=concurrency + 10, keepalive_expiry=2)
    async with (
        httpx.AsyncClient(base_url=settings.api_base_url, timeout=120, limits=limits) as api,
        httpx.AsyncClient(base_url=settings.easypost_base_url.removesuffix("/v2"), timeout=120, limits=limits) as ep,
        httpx.AsyncClient(
            base_url=settings.stripe_base_url, timeout=60, auth=(settings.stripe_api_key.get_secret_value(), "")
        ) as pay,
    ):
        setup = progress.add_task("orders (setup)", total=n)
        orders = []
        for _ in range(n):
            pi = (
                await pay.post(
                    "/v1/payment_intents",
                    data={
                        "amount": 2500,
                        "currency": "usd",
                        "payment_method": "pm_card_visa",
                        "confirm": "true",
                        "metadata[merchant_id]": DEMO_MERCHANT_ID,
                    },
                )
            ).json()["id"]
            order_id = f"bench-{uuid.uuid4().hex[:10]}"
            (await api.put(f"/v1/orders/{order_id}", json=_order(pi), headers=merchant)).raise_for_status()
            orders.append(order_id)
            progress.advance(setup)

        client = await connect(settings.temporal_address)
        task = progress.add_task("returns", total=n)
        gate = asyncio.Semaphore(concurrency)
        latencies: list[float] = []
        ids: list[str] = []

        async def one(order_id: str) -> None:
            async with gate:
                t0 = time.perf_counter()
                r = await api.post(
                    "/v1/returns",
                    json={"order_id": order_id, "items": RETURN_BODY_ITEMS, "resolution": "refund"},
                    headers=merchant,
                )
                latencies.append(time.perf_counter() - t0)
                r.raise_for_status()
                ret = r.json()
                ids.append(ret["id"])
                while ret["label"] is None:  # 202: accepted, the label comes when a worker gets to it
                    await asyncio.sleep(0.5)
                    ret = (await api.get(f"/v1/returns/{ret['id']}", headers=merchant)).json()
                code = ret["label"]["tracking_code"]
                for status in ("pre_transit", "in_transit", "out_for_delivery", "delivered"):
                    (await ep.post(f"/_sandbox/trackers/{code}/advance", json={"status": status})).raise_for_status()
                (
                    await api.post("/v1/warehouse/receipts", json={"return_id": ret["id"]}, headers=warehouse)
                ).raise_for_status()
                body = {"items": [{"line_id": "L1", "grade": "A"}]}
                for attempt in range(100):  # the receipt signal may not be applied yet: 409 until it is
                    r = await api.post(f"/v1/returns/{ret['id']}/inspection", json=body, headers=warehouse)
                    if r.status_code != 409:
                        break
                    await asyncio.sleep(0.05 * (attempt + 1))
                r.raise_for_status()
                await client.get_workflow_handle(return_workflow_id(ret["id"])).result()
                progress.advance(task)

        start = time.perf_counter()
        await asyncio.gather(*(one(o) for o in orders))
        return time.perf_counter() - start, latencies, ids


async def drive_floor(settings: Settings, n: int, concurrency: int, progress: Progress) -> float:
    client = await connect(settings.temporal_address)
    task = progress.add_task("floor workflows", total=n)
    gate = asyncio.Semaphore(concurrency)
    async with Worker(client, task_queue=FLOOR_TASK_QUEUE, workflows=[FloorWorkflow], activities=[floor_step]):

        async def one() -> None:
            async with gate:
                handle = await client.start_workflow(
                    FloorWorkflow.run, id=f"floor-{uuid.uuid4().hex}", task_queue=FLOOR_TASK_QUEUE
                )
                for _ in range(SIGNALS):
                    await handle.signal(FloorWorkflow.event)
                await handle.result()
                progress.advance(task)

        start = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(n)))
        return time.perf_counter() - start


async def history_events(settings: Settings, return_ids: list[str]) -> float:
    client = await connect(settings.temporal_address)
    counts = []
    for rid in return_ids:
        history = await client.get_workflow_handle(return_workflow_id(rid)).fetch_history()
        counts.append(len(history.events))
    return statistics.mean(counts)


def main(
    returns: int = typer.Option(200, help="how many returns (and floor workflows)"),
    concurrency: int = typer.Option(200, help="how many in flight at once"),
) -> None:
    data_dir = Path(".data/bench")
    shutil.rmtree(data_dir, ignore_errors=True)  # a fresh stack each run; its logs stay until the next
    settings = Settings(
        data_dir=data_dir,
        temporal_address=f"127.0.0.1:{_free_port()}",
        api_port=_free_port(),
        easypost_sandbox_port=_free_port(),
        payments_sandbox_port=_free_port(),
        smtp_port=_free_port(),
        mail_sandbox_port=_free_port(),
        carrier_requests_per_second=1000.0,  # the sandbox has no rate limit to respect
    )
    stack = Stack(settings, temporal_ui=False)
    with console.status("starting the embedded stack…"):
        stack.start()
    try:
        with Progress(console=console) as progress:
            took, latencies, ids = asyncio.run(drive_returns(settings, returns, concurrency, progress))
            floor_took = asyncio.run(drive_floor(settings, returns, concurrency, progress))
        events = asyncio.run(history_events(settings, ids))
    finally:
        stack.stop()
    table = Table(title=f"Returnflow end-to-end: {returns} returns, {concurrency} at once", show_header=False)
    table.add_row("returns/s (whole lifecycle over HTTP)", f"{returns / took:.2f}")
    table.add_row("floor workflows/s (no-op, same shape)", f"{returns / floor_took:.2f}")
    table.add_row("returns/s ÷ floor/s", f"{(returns / took) / (returns / floor_took):.2f}")
    for p in (50, 95, 99):
        table.add_row(f"POST /v1/returns p{p}", f"{percentile(latencies, p) * 1000:.0f} ms")
    table.add_row("history events per return (mean)", f"{events:.1f}")
    console.print(table)


if __name__ == "__main__":
    typer.run(main)
