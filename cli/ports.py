"""An embedded stack of its own (the benches', the integration tests'): Settings whose every port is free, so it
never collides with `make run` or another stack on this machine."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def settings_on_free_ports(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a Stack under `data_dir` listening on free ports only (Temporal and its UI, the API, the
    sandboxes, the worker's metrics endpoint); `overrides` set the rest, or a port otherwise."""
    ports = {
        "temporal_address": f"127.0.0.1:{free_port()}",
        "temporal_ui_port": free_port(),
        "api_port": free_port(),
        "easypost_sandbox_port": free_port(),
        "payments_sandbox_port": free_port(),
        "smtp_port": free_port(),
        "mail_sandbox_port": free_port(),
        "worker_metrics_address": f"127.0.0.1:{free_port()}",
    }
    return Settings(data_dir=data_dir, **{**ports, **overrides})
