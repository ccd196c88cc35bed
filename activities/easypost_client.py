"""The one way to build an EasyPost client: the worker's carrier activities and the API's label downloads use it.

Takes the settings by shape (a Protocol), not the `settings` module: activities
never import settings (tests/test_architecture.py), the worker and API pass theirs.
`Settings` has already turned an empty base URL into the local sandbox's.
"""

from __future__ import annotations

from typing import Protocol

import easypost
from pydantic import SecretStr

TIMEOUT_SECONDS = 20


class EasyPostSettings(Protocol):
    easypost_api_key: SecretStr
    easypost_base_url: str


def easypost_client(settings: EasyPostSettings) -> easypost.EasyPostClient:
    return easypost.EasyPostClient(
        settings.easypost_api_key.get_secret_value(), api_base=settings.easypost_base_url, timeout=TIMEOUT_SECONDS
    )
