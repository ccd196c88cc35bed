"""The one Temporal client factory (API, workers, CLI and tests all use it).

The pydantic data converter lets workflows take and return pydantic models. With settings, the connection
is the deployment's: TLS (client certificates) or an API key for a cluster or Temporal Cloud, the payload
codec (workers/codec.py) and the tracing interceptor (workers/tracing.py). The API and the workers must
agree on the codec, so both pass their settings.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime
from temporalio.service import TLSConfig

from settings import Settings

log = logging.getLogger("returnflow.temporal")


def tls_config(settings: Settings) -> TLSConfig | bool:
    """TLS as the settings ask: certificate files read here (a missing file fails loudly at start-up), plain
    TLS for an API key (Temporal Cloud), else none (the dev server)."""
    files = (settings.temporal_tls_cert, settings.temporal_tls_key, settings.temporal_tls_ca)
    if any(files) or settings.temporal_tls_server_name:
        cert, key, ca = (f.read_bytes() if f else None for f in files)
        return TLSConfig(
            client_cert=cert,
            client_private_key=key,
            server_root_ca_cert=ca,
            domain=settings.temporal_tls_server_name or None,
        )
    return settings.temporal_tls or bool(settings.temporal_api_key.get_secret_value())


async def connect(
    address: str, namespace: str = "default", *, settings: Settings | None = None, runtime: Runtime | None = None
) -> Client:
    if settings is None:
        return await Client.connect(address, namespace=namespace, data_converter=pydantic_data_converter)
    from workers.codec import data_converter
    from workers.tracing import client_interceptors

    return await Client.connect(
        address,
        namespace=namespace,
        data_converter=data_converter(settings),
        interceptors=client_interceptors(settings),
        tls=tls_config(settings),
        api_key=settings.temporal_api_key.get_secret_value() or None,
        runtime=runtime,
    )


async def connect_retrying(
    address: str,
    namespace: str = "default",
    *,
    first_delay: float = 0.5,
    max_delay: float = 30.0,
    attempts: int | None = None,
    dial: Callable[[str, str], Awaitable[Client]] = connect,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Client:
    """`connect`, tried again while Temporal is not reachable (starting, restarting, a network blip): the wait
    doubles from first_delay up to max_delay, each failure logged; attempts=None tries for ever (the worker)."""
    delay = first_delay
    attempt = 0
    while True:
        attempt += 1
        try:
            return await dial(address, namespace)
        except Exception as error:  # RuntimeError from the core when the server does not answer
            if attempts is not None and attempt >= attempts:
                raise
            log.warning(
                "Temporal at %s not reachable (attempt %d: %s); trying again in %.1f s", address, attempt, error, delay
            )
            await sleep(delay)
            delay = min(delay * 2, max_delay)


def settings_dial(settings: Settings, runtime: Runtime | None = None) -> Callable[[str, str], Awaitable[Client]]:
    """`connect` as connect_retrying's dial, with the deployment's settings."""
    return partial(connect, settings=settings, runtime=runtime)
