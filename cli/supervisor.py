"""Keeps the embedded stack's children running: a child that exits is started again, with backoff.

`Supervisor.tick()` runs on the main thread of `make run` (children die with the thread that started
them, PR_SET_PDEATHSIG). A child that exits is logged (exit code or signal, how long it ran) and started
again after a delay that doubles from 0.5 s up to 30 s; once it has stayed up for 30 s the delay starts
over. It is never given up on: after a few quick deaths in a row the log calls it a crash loop and points
at its log file, and it is still retried every 30 s.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

from cli.stack import Stack


@dataclass(frozen=True)
class Backoff:
    first: float = 0.5  # seconds before the first restart
    cap: float = 30.0  # the longest wait between restarts
    stable_after: float = 30.0  # up this long: its next death counts as the first again
    crash_loop: int = 5  # this many deaths in a row, each before stable_after: the log says it is crash-looping

    def delay(self, deaths: int) -> float:
        """Wait before restarting a child that died `deaths` times in a row (1, 2, ...)."""
        return min(self.cap, self.first * 2 ** (deaths - 1))


def describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "exit status unknown"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


@dataclass
class _Watch:
    started_at: float
    deaths: int = 0  # in a row, none of them after a stable run
    restart_at: float | None = None  # set while it is dead and waiting for its restart


class Supervisor:
    def __init__(self, stack: Stack, log: Callable[[str], None], backoff: Backoff = Backoff()) -> None:
        self.stack, self.log, self.backoff = stack, log, backoff
        self.watches = {name: _Watch(started_at=child.started_at) for name, child in stack.children.items()}

    def tick(self) -> None:
        """Notice children that died and restart those whose delay is over; call every fraction of a second."""
        now = time.monotonic()
        for name, child in list(self.stack.children.items()):
            watch = self.watches.setdefault(name, _Watch(started_at=now))
            if watch.restart_at is None:
                if child.alive():
                    continue
                self._died(
                    name,
                    watch,
                    now,
                    describe_exit(child.proc.returncode if child.proc else None),
                )
            elif now >= watch.restart_at:
                self._restart(name, watch, now)

    def _died(self, name: str, watch: _Watch, now: float, why: str) -> None:
        ran = now - watch.started_at
        watch.deaths = 1 if ran >= self.backoff.stable_after else watch.deaths + 1
        delay = self.backoff.delay(watch.deaths)
        watch.restart_at = now + delay
        self.stack.reap(name)
        message = f"{name} exited ({why}) after {ran:.1f}s; restarting in {delay:g}s"
        if watch.deaths > 1:
            message += f"; {watch.deaths} quick deaths in a row"
        if watch.deaths >= self.backoff.crash_loop:
            message += f"; it is crash-looping, see {self.stack.log_path(name)} (still retrying, every {self.backoff.cap:g}s at most)"
        self.log(message)

    def _restart(self, name: str, watch: _Watch, now: float) -> None:
        watch.restart_at = None
        watch.started_at = now
        try:
            pid = self.stack.respawn(name)
        except OSError as err:  # could not even start it: counts as another quick death
            self._died(name, watch, now, f"could not start: {err}")
            return
        self.log(f"{name} restarted (pid {pid})")
