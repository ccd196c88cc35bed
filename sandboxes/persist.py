"""Sandbox state that outlives the process: JSON records in one SQLite file, saved before each answer.

A sandbox keeps its records in `TrackedDict`s, which remember every key read or written. `Journal.flush()`
(run before a response leaves, see `FlushBeforeAnswer`) re-encodes just those records and writes the ones
that differ from what was saved, in one transaction; whatever the code did to a record (in place or not) is
caught. Without a path the journal keeps nothing, and the sandbox lives in memory as before.

    journal = Journal(data_dir / "state.db")
    for key, body in journal.load("refunds"): ...      # insertion order
    journal.track("refunds", refunds, encode=asdict)  # refunds: TrackedDict
    journal.flush()
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (kind TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (kind, key));
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, body TEXT NOT NULL);
"""


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


class TrackedDict(dict):
    """A dict that remembers every key read or written (`touched`) until a flush takes them."""

    __slots__ = ("touched",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.touched: set[Any] = set()

    def __getitem__(self, key: Any) -> Any:
        self.touched.add(key)
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        if key in self:
            self.touched.add(key)
        return super().get(key, default)

    def __setitem__(self, key: Any, value: Any) -> None:
        self.touched.add(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: Any) -> None:
        self.touched.add(key)
        super().__delitem__(key)

    def pop(self, key: Any, *default: Any) -> Any:
        self.touched.add(key)
        return super().pop(key, *default)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        self.touched.add(key)
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def clear(self) -> None:
        self.touched.update(self.keys())
        super().clear()

    def values(self) -> Any:  # the caller may change any of them
        self.touched.update(self.keys())
        return super().values()

    def items(self) -> Any:
        self.touched.update(self.keys())
        return super().items()


@dataclass
class _Tracked:
    table: TrackedDict
    encode: Callable[[Any], Any]
    key: Callable[[Any], str]


class Journal:
    """One SQLite file of JSON records by (kind, key), in insertion order, plus named meta values."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._tables: dict[str, _Tracked] = {}
        self._meta: Callable[[], dict[str, Any]] | None = None
        self._saved: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()  # the in-process test servers answer from another thread
        self._db: sqlite3.Connection | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")  # a commit survives a SIGKILL of this process
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)

    @property
    def persistent(self) -> bool:
        return self._db is not None

    def load(self, kind: str) -> Iterator[tuple[str, Any]]:
        """The saved records of `kind`, oldest first, as (key, decoded body)."""
        if self._db is None:
            return
        rows = self._db.execute("SELECT key, body FROM records WHERE kind = ? ORDER BY rowid", (kind,)).fetchall()
        for key, body in rows:
            self._saved[(kind, key)] = body
            yield key, json.loads(body)

    def load_meta(self) -> dict[str, Any]:
        if self._db is None:
            return {}
        rows = self._db.execute("SELECT name, body FROM meta").fetchall()
        for name, body in rows:
            self._saved[("", name)] = body
        return {name: json.loads(body) for name, body in rows}

    def track(
        self,
        kind: str,
        table: TrackedDict,
        encode: Callable[[Any], Any] = lambda v: v,
        key: Callable[[Any], str] = str,
    ) -> None:
        """Save `table`'s touched records as `kind` from now on (what it holds now counts as saved)."""
        table.touched.clear()
        self._tables[kind] = _Tracked(table, encode, key)

    def track_meta(self, snapshot: Callable[[], dict[str, Any]]) -> None:
        """Small named values (counters, sequences) saved whenever they change."""
        self._meta = snapshot

    def flush(self) -> list[tuple[str, str]]:
        """Write what changed since the last flush, in one transaction; returns the (kind, key)s written."""
        with self._lock:
            upserts: list[tuple[str, str, str]] = []
            deletes: list[tuple[str, str]] = []
            for kind, tracked in self._tables.items():
                touched, tracked.table.touched = tracked.table.touched, set()
                if self._db is None:
                    continue
                for key in touched:
                    skey = tracked.key(key)
                    if dict.__contains__(tracked.table, key):
                        body = dumps(tracked.encode(dict.__getitem__(tracked.table, key)))
                        if self._saved.get((kind, skey)) != body:
                            upserts.append((kind, skey, body))
                    elif (kind, skey) in self._saved:
                        deletes.append((kind, skey))
            meta = []
            if self._db is not None and self._meta is not None:
                for name, value in self._meta().items():
                    body = dumps(value)
                    if self._saved.get(("", name)) != body:
                        meta.append((name, body))
            if not (upserts or deletes or meta):
                return []
            assert self._db is not None
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany(
                    "INSERT INTO records (kind, key, body) VALUES (?, ?, ?) "
                    "ON CONFLICT (kind, key) DO UPDATE SET body = excluded.body",
                    upserts,
                )
                self._db.executemany("DELETE FROM records WHERE kind = ? AND key = ?", deletes)
                self._db.executemany(
                    "INSERT INTO meta (name, body) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET body = excluded.body",
                    meta,
                )
            for kind, skey, body in upserts:
                self._saved[(kind, skey)] = body
            for gone in deletes:
                self._saved.pop(gone, None)
            for name, body in meta:
                self._saved[("", name)] = body
            return [(kind, skey) for kind, skey, _ in upserts]

    def reset(self) -> None:
        """Forget everything, on disk too; tables must be tracked again."""
        with self._lock:
            self._tables.clear()
            self._meta = None
            self._saved.clear()
            if self._db is not None:
                with self._db:
                    self._db.execute("BEGIN IMMEDIATE")
                    self._db.execute("DELETE FROM records")
                    self._db.execute("DELETE FROM meta")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


class FlushBeforeAnswer:
    """ASGI middleware: the journal is flushed before a response starts, so what a client was told
    is on disk; and once more when the request ends (work done after the answer)."""

    def __init__(self, app: Any, flush: Callable[[], Any]) -> None:
        self.app, self.flush = app, flush

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_after_flush(message: Any) -> None:
            if message["type"] == "http.response.start":
                self.flush()
            await send(message)

        try:
            await self.app(scope, receive, send_after_flush)
        finally:
            self.flush()
