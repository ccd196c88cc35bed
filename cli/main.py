"""`returnflow` command line: `python -m cli run` starts the embedded stack (what `make run` does)."""

from __future__ import annotations

import signal
import sys
import threading

import typer
from rich.console import Console
from rich.table import Table

from cli.stack import Stack
from settings import get_settings

app = typer.Typer(help="Returnflow: returns management on Temporal.", no_args_is_help=True)
console = Console()


@app.callback()
def _root() -> None:
    """Returnflow command line."""


@app.command()
def run() -> None:
    """Start Temporal, the sandboxes, a worker and the API; Ctrl-C stops them all."""
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
    code = 0
    while not stop.wait(1.0):
        if dead := stack.dead_children():
            names = ", ".join(c.name for c in dead)
            console.print(f"[red]{names} exited unexpectedly[/red]; see {settings.data_dir / 'logs'}")
            code = 1
            break
    console.print("stopping…")
    stack.stop()
    console.print("stopped; every process is gone.")
    sys.exit(code)


def _print_summary(settings) -> None:
    table = Table(title="Returnflow is running", show_header=False, title_justify="left")
    table.add_row("API", settings.api_base_url)
    table.add_row("API docs", f"{settings.api_base_url}/docs")
    if settings.uses_embedded_temporal:
        table.add_row("Temporal UI", f"http://127.0.0.1:{settings.temporal_ui_port}")
    table.add_row("Temporal gRPC", settings.temporal_address)
    if settings.uses_easypost_sandbox:
        table.add_row("EasyPost sandbox", settings.easypost_base_url)
    if settings.uses_payments_sandbox:
        table.add_row("Payments sandbox", settings.stripe_base_url)
    if settings.uses_mail_sandbox:
        table.add_row("Mail sandbox (SMTP)", f"{settings.smtp_host}:{settings.smtp_port}")
        table.add_row("Mail sandbox inbox", f"{settings.mail_sandbox_url}/_sandbox/messages")
    table.add_row("Database", settings.database_url)
    table.add_row("Demo merchant key", settings.demo_merchant_key.get_secret_value())
    table.add_row("Demo warehouse key", settings.demo_warehouse_key.get_secret_value())
    table.add_row("Demo ops key", settings.demo_ops_key.get_secret_value())
    table.add_row("Logs", str(settings.data_dir / "logs"))
    console.print(table)
    console.print("Press Ctrl-C to stop everything.")


if __name__ == "__main__":
    app()
