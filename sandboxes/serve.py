"""Run an ASGI app with uvicorn in a background thread, for tests and embedded dev stacks.

base_url, stop = serve_in_thread(app)   # "http://127.0.0.1:PORT", returns once it answers
...
stop()
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import uvicorn


def serve_in_thread(
    app: Any, host: str = "127.0.0.1", port: int = 0, startup_timeout: float = 10.0
) -> tuple[str, Callable[[], None]]:
    """Start `app` on host:port (0 picks a free port) and wait until the port accepts connections."""
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets that say so, and without it
    # every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))  # bound here, so the port is known and cannot be taken meanwhile
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name=f"uvicorn:{bound_port}")
    thread.start()

    deadline = time.monotonic() + startup_timeout
    while not (server.started and _answers(host, bound_port)):
        if not thread.is_alive():
            sock.close()
            raise RuntimeError(f"server on port {bound_port} exited during startup")
        if time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise TimeoutError(f"server on port {bound_port} did not start within {startup_timeout}s")
        time.sleep(0.01)  # poll interval, bounded by the deadline above

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

    return f"http://{host}:{bound_port}", stop


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False
