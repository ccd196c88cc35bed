"""State of one sandbox instance, plus the id/time/money/pagination helpers it uses.

Records are plain dicts keyed by EasyPost id ("shp_<32 hex>"); the id prefix names the kind.
Money is kept as integer cents and rendered as decimal strings only on the wire. Given a data dir,
the records, counters and label files are kept there (persist.py, label_files.py) and a restarted
sandbox carries on where it stopped; without one, state lives in memory.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter, defaultdict, deque
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sandboxes.easypost.errors import ApiError, not_found, param_invalid
from sandboxes.persist import Journal, TrackedDict

DEFAULT_API_KEY = "EZTKreturnflowsandbox"
MODE = "test"  # the sandbox only imitates test keys


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_iso_ms() -> str:
    # Events carry millisecond timestamps in the recordings ("2025-03-06T19:48:05.456Z").
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def cents_to_str(cents: int, places: int = 2) -> str:
    """1234 -> "12.34"; places=5 gives the fee form "12.34000"."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}" + "0" * (places - 2)


def parse_money(value: Any, field: str) -> int:
    """A decimal amount ("100", 100, "12.5") as integer cents; rejects negatives and junk."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise param_invalid(field, "must be a decimal amount") from None
    if not amount.is_finite() or amount < 0:
        raise param_invalid(field, "must be a non-negative decimal amount")
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def as_bool(value: Any) -> bool:
    """Flags arrive as true, "true", [true], ["delivery"] (verify) or query strings."""
    if isinstance(value, list):
        return any(as_bool(v) for v in value)
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "0", "no", "none", "null")
    return bool(value)


class Sandbox:
    """All state of one app instance; create_app() makes a fresh one so tests stay isolated.

    With `data_dir`, state is loaded from and saved to `data_dir/state.db` (label files under
    `data_dir/labels/`); `flush()` saves what changed and runs before every answer.
    """

    def __init__(
        self, api_keys: set[str], webhook_url: str | None, webhook_secret: str | None, data_dir: Path | None = None
    ) -> None:
        self.api_keys = set(api_keys)
        self.keys_used: Counter[str] = (
            Counter()
        )  # every API key presented (/_sandbox/api_keys; unknown ones by their last 4)
        self.last_api_key: str | None = None
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.data_dir = data_dir
        self.journal = Journal(data_dir / "state.db" if data_dir else None)
        self.objects: dict[str, dict[str, Any]] = TrackedDict()
        self.kinds: dict[str, list[str]] = defaultdict(list)  # prefix -> ids, oldest first
        self.tasks: set[asyncio.Task[Any]] = set()  # background webhook retries, kept referenced
        self.requests: deque[tuple[float, str, str]] = deque(maxlen=100_000)  # (epoch s, method, path) of /v2 calls
        for obj_id, record in self.journal.load("objects"):
            dict.__setitem__(self.objects, obj_id, record)
            self.kinds[obj_id.split("_", 1)[0]].append(obj_id)
        meta = self.journal.load_meta()
        self.user_id: str = meta.get("user_id") or new_id("user")
        self.tracking_seq: int = meta.get("tracking_seq", 0)
        self.stats: Counter[str] = Counter(meta.get("stats", {}))
        self.journal.track("objects", self.objects)
        self.journal.track_meta(
            lambda: {"user_id": self.user_id, "tracking_seq": self.tracking_seq, "stats": dict(self.stats)}
        )

    def flush(self) -> None:
        """Save what changed (no-op in memory); a newly bought label's file is written with it."""
        # Imported here: label_files imports this module.
        from sandboxes.easypost import label_files

        for _kind, obj_id in self.journal.flush():
            if obj_id.startswith("shp_"):
                label_files.save(self, dict.__getitem__(self.objects, obj_id))

    def add(self, record: dict[str, Any]) -> dict[str, Any]:
        self.objects[record["id"]] = record
        self.kinds[record["id"].split("_", 1)[0]].append(record["id"])
        return record

    def get(self, obj_id: Any, prefix: str) -> dict[str, Any]:
        record = self.objects.get(obj_id) if isinstance(obj_id, str) else None
        if record is None or not obj_id.startswith(prefix + "_") or record.get("_deleted"):
            raise not_found()
        return record

    def all(self, prefix: str) -> list[dict[str, Any]]:
        """Live records of one kind, newest first (EasyPost list order)."""
        out = [self.objects[i] for i in reversed(self.kinds[prefix])]
        return [r for r in out if not r.get("_deleted")]

    def next_tracking_number(self) -> int:
        self.tracking_seq += 1
        return self.tracking_seq

    def spawn(self, coro: Any) -> None:
        async def then_flush() -> None:
            try:
                await coro
            finally:
                self.flush()

        task = asyncio.get_running_loop().create_task(then_flush())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


def paginate(records: list[dict[str, Any]], query: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """EasyPost cursor paging over newest-first records: page_size, before_id, after_id, date range."""
    try:
        page_size = int(query.get("page_size") or 20)
    except ValueError:
        raise param_invalid("page_size", "must be an integer") from None
    if not 1 <= page_size <= 100:
        raise ApiError(
            422,
            "PARAMETER.INVALID",
            "page_size must be between 1 and 100.",
            [{"field": "page_size", "message": "must be between 1 and 100"}],
        )
    ids = [r["id"] for r in records]
    if before := query.get("before_id"):
        # Unknown cursor: nothing is known to be older, so the page is empty.
        records = records[ids.index(before) + 1 :] if before in ids else []
    elif after := query.get("after_id"):
        records = records[: ids.index(after)] if after in ids else []
    if start := query.get("start_datetime"):
        records = [r for r in records if r["created_at"] >= start]
    if end := query.get("end_datetime"):
        records = [r for r in records if r["created_at"] <= end]
    return records[:page_size], len(records) > page_size
