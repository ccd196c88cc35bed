"""`returnflow` command line: `returnflow run` (or `python -m cli run`) starts the embedded stack (what `make run`
does); `returnflow merchants ...` and `returnflow keys ...` put merchants on (cli/onboarding.py)."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime

import typer
from rich.console import Console
from rich.table import Table

from cli.onboarding import keys_app, merchants_app
from cli.stack import Stack
from cli.supervisor import Supervisor
from settings import DEV_WEBHOOK_SECRET, get_settings

app = typer.Typer(help="Returnflow: returns management on Temporal.", no_args_is_help=True)
app.add_typer(merchants_app, name="merchants")
app.add_typer(keys_app, name="keys")
console = Console()
TICK_SECONDS = 0.2  # how often dead children are looked for


@app.callback()
def _root() -> None:
    """Returnflow command line."""


@app.command()
def run() -> None:
    """Start Temporal, the sandboxes, a worker and the API, restarting any that dies; Ctrl-C stops them all."""
    settings = get_settings()
    stack = Stack(settings)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    with console.status("starting…") as status:
        try:
            stack.start(progress=lambda what: status.update(f"starting {what}…"))
        except Exception as err:
            console.print(f"[red]could not start:[/red] {err}")
            for name in ("temporal", "easypost-sandbox", "payments-sandbox", "mail-sandbox", "worker", "api"):
                if tail := stack.log_tail(name, 15):
                    console.print(f"[dim]--- {name} log ---\n{tail}[/dim]")
            raise typer.Exit(1) from err

    _print_summary(settings)
    supervisor = Supervisor(stack, log=_supervisor_log(settings))
    while not stop.wait(TICK_SECONDS):
        supervisor.tick()  # on this (main) thread: children die with the thread that started them
    console.print("stopping…")
    stack.stop()
    console.print("stopped; every process is gone.")
    sys.exit(0)


def _supervisor_log(settings) -> Callable[[str], None]:
    """Restarts go to the terminal and to logs/supervisor.log."""
    path = settings.data_dir / "logs" / "supervisor.log"

    def log(message: str) -> None:
        stamp = datetime.now().strftime("%H:%M:%S")
        console.print(f"[yellow]{stamp}[/yellow] {message}", highlight=False, soft_wrap=True)
        with open(path, "a") as f:
            f.write(f"{datetime.now().isoformat(timespec='milliseconds')} {message}\n")

    return log


def _print_summary(settings) -> None:
    table = Table(title="Returnflow is running", show_header=False, title_justify="left")
    table.add_row("API", settings.api_base_url)
    table.add_row("API docs", f"{settings.api_base_url}/docs")
    if settings.uses_embedded_temporal:
        table.add_row("Temporal UI", f"http://127.0.0.1:{settings.temporal_ui_port}")
    table.add_row("Temporal gRPC", settings.temporal_address)
    table.add_row("API metrics (Prometheus)", f"{settings.api_base_url}/metrics")
    if settings.worker_metrics_address:  # the Temporal SDK's metrics and the business counters
        table.add_row("Worker metrics (Prometheus)", f"http://{settings.worker_metrics_address}/metrics")
    if settings.uses_easypost_sandbox:
        table.add_row("EasyPost sandbox", settings.easypost_base_url)
        table.add_row("EasyPost sandbox API key", settings.easypost_api_key.get_secret_value())
    # The sandbox (or EasyPost's own webhook settings) signs tracker webhooks with it: shown only while it is
    # the development default, never a real one.
    if settings.easypost_webhook_secret.get_secret_value() == DEV_WEBHOOK_SECRET:
        table.add_row("EasyPost webhook secret", DEV_WEBHOOK_SECRET)
    if settings.uses_payments_sandbox:
        table.add_row("Payments sandbox", settings.stripe_base_url)
        table.add_row("Payments sandbox API key", settings.stripe_api_key.get_secret_value())
    if settings.uses_mail_sandbox:
        table.add_row("Mail sandbox (SMTP)", f"{settings.smtp_host}:{settings.smtp_port}")
        table.add_row("Mail sandbox inbox", f"{settings.mail_sandbox_url}/_sandbox/messages")
    table.add_row("Database", settings.database_url)
    table.add_row("Shopper portal (Dutch demo shop)", f"{settings.api_base_url}/portal/demo")
    table.add_row("Demo shopper", "order DEMO-1001 or DEMO-1002, sanne@example.nl or postcode 1012 LG")
    table.add_row("Demo merchant key", settings.demo_merchant_key.get_secret_value())
    table.add_row("Demo warehouse key", settings.demo_warehouse_key.get_secret_value())
    table.add_row("Demo ops key", settings.demo_ops_key.get_secret_value())
    table.add_row("Logs", str(settings.data_dir / "logs"))
    console.print(table)
    console.print("Press Ctrl-C to stop everything.")


if __name__ == "__main__":
    app()
