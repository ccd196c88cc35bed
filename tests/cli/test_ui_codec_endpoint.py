"""`make run` points the dev server's Temporal UI at the API's codec endpoint when histories are encrypted
(cli/stack.py), and at nothing otherwise: read back from the UI's own settings."""

from __future__ import annotations

import base64
import os

import httpx
import pytest

from cli.stack import Stack
from settings import Settings
from tests.conftest import free_port
from tests.polling import poll

KEYS = f"k1:{base64.b64encode(os.urandom(32)).decode()}"


def ui_codec(settings: Settings) -> dict:
    def settings_page() -> httpx.Response | None:
        try:
            return httpx.get(f"http://127.0.0.1:{settings.temporal_ui_port}/api/v1/settings", timeout=2)
        except httpx.TransportError:
            return None

    page = poll(settings_page, until=lambda r: r is not None and r.status_code == 200, what="the Temporal UI")
    return page.json()["Codec"]


@pytest.mark.parametrize("keys", [KEYS, ""])
def test_the_dev_servers_ui_decodes_through_the_api_only_when_histories_are_encrypted(keys, tmp_path):
    settings = Settings(
        data_dir=tmp_path,
        temporal_address=f"127.0.0.1:{free_port()}",
        temporal_ui_port=free_port(),
        api_port=free_port(),
        payload_codec_keys=keys,
    )
    stack = Stack(settings)
    tmp_path.joinpath("logs").mkdir()
    try:
        stack._start_temporal()
        codec = ui_codec(settings)
    finally:
        stack.stop()
    assert codec["Endpoint"] == (f"http://127.0.0.1:{settings.api_port}/temporal-codec" if keys else "")
    assert codec["PassAccessToken"] is False  # the dev UI has no sign-in: the API trusts this machine instead
