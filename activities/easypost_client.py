"""The one way to build an EasyPost client: the worker's carrier activities and the API's label downloads use it.

Takes the settings by shape (a Protocol), not the `settings` module: activities
never import settings (tests/test_architecture.py), the worker and API pass theirs.
`Settings` has already turned an empty base URL into the local sandbox's.

One client per account (API key and base URL) for the whole process, shared by every thread: its
connections are pooled and kept alive, as EasyPost's rate-limiting guide asks, instead of a new
connection (and TLS handshake) per activity; and its requests take turns on the account's pace
(activities/carrier_pace.py), which slows down when EasyPost answers 429.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Protocol

import easypost
import requests
from pydantic import SecretStr

from activities.carrier_pace import hooks, pace_for

TIMEOUT_SECONDS = 20
POOLED_CONNECTIONS = 32  # the worker's activity threads; more at once open (and drop) extra connections
KEPT_CLIENTS = 256  # accounts (the platform's and merchants' own keys) with a client kept

_clients: OrderedDict[tuple[str, str], easypost.EasyPostClient] = OrderedDict()
_lock = threading.Lock()


class EasyPostSettings(Protocol):
    easypost_api_key: SecretStr
    easypost_base_url: str


def easypost_client(settings: EasyPostSettings) -> easypost.EasyPostClient:
    key, base = settings.easypost_api_key.get_secret_value(), settings.easypost_base_url
    with _lock:
        client = _clients.get((key, base))
        if client is None:
            client = _clients[(key, base)] = _new_client(key, base)
            while len(_clients) > KEPT_CLIENTS:
                _clients.popitem(last=False)
        else:
            _clients.move_to_end((key, base))
        return client


def _new_client(key: str, base: str) -> easypost.EasyPostClient:
    client = easypost.EasyPostClient(key, api_base=base, timeout=TIMEOUT_SECONDS)
    # As the SDK mounts it (connection errors retried), with a pool as large as the threads that share it.
    adapter = requests.adapters.HTTPAdapter(max_retries=3, pool_maxsize=POOLED_CONNECTIONS)
    client._requests_session.mount(base.split("/v2")[0], adapter)
    before, after = hooks(pace_for(key, base))
    client.subscribe_to_request_hook(before)
    client.subscribe_to_response_hook(after)
    return client
