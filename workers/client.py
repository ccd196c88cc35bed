"""The one Temporal client factory (API, workers, CLI and tests all use it).

The pydantic data converter lets workflows take and return pydantic models.
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter


async def connect(address: str, namespace: str = "default") -> Client:
    return await Client.connect(address, namespace=namespace, data_converter=pydantic_data_converter)
