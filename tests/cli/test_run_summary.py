"""What `make run` prints at start: the sandbox API keys and the EasyPost webhook secret the README's walkthrough
uses, and never a real secret."""

from __future__ import annotations

import re

from pydantic import SecretStr
from rich.console import Console

from cli import main
from settings import DEV_EASYPOST_KEY, DEV_STRIPE_KEY, DEV_WEBHOOK_SECRET, Settings


def summary(monkeypatch, settings: Settings) -> str:
    console = Console(width=300, record=True)
    monkeypatch.setattr(main, "console", console)
    with console.capture() as captured:
        main._print_summary(settings)
    return captured.get()


def test_make_run_prints_the_sandbox_keys_and_the_webhook_secret(monkeypatch, tmp_path):
    text = summary(monkeypatch, Settings(data_dir=tmp_path))
    assert re.search(rf"EasyPost sandbox API key\s+│ {DEV_EASYPOST_KEY}", text), text
    assert re.search(rf"EasyPost webhook secret\s+│ {DEV_WEBHOOK_SECRET}", text), text
    assert DEV_STRIPE_KEY in text


def test_a_real_webhook_secret_is_not_printed(monkeypatch, tmp_path):
    settings = Settings(data_dir=tmp_path, easypost_webhook_secret=SecretStr("whsec-real-one"))
    text = summary(monkeypatch, settings)
    assert "whsec-real-one" not in text and "EasyPost webhook secret" not in text
