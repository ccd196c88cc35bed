"""The supervisor behind `make run`, on real child processes started by the real Stack (short backoffs)."""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.stack import Stack
from cli.supervisor import Backoff, Supervisor, describe_exit
from settings import Settings
from tests.polling import poll


@pytest.fixture
def stack(tmp_path) -> Iterator[Stack]:
    stack = Stack(Settings(data_dir=tmp_path))
    stack.log_dir.mkdir(parents=True)
    yield stack
    stack.stop()


def run_until(supervisor: Supervisor, logs: list[str], done, timeout: float = 30) -> None:
    poll(
        lambda: supervisor.tick() or done(logs),
        bool,
        timeout,
        f"the supervisor (log so far: {logs})",
    )


def gone(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().split(")")[-1].split()[0] == "Z"  # a zombie is gone


def delays(logs: list[str]) -> list[float]:
    return [float(m) for line in logs for m in re.findall(r"restarting in ([\d.]+)s", line)]


def test_a_crash_looping_child_is_retried_with_doubling_capped_delays_and_the_log_says_so(
    stack,
):
    stack._spawn("crasher", ["-c", "import sys; sys.exit(3)"])
    logs: list[str] = []
    supervisor = Supervisor(stack, logs.append, Backoff(first=0.05, cap=0.2, stable_after=10, crash_loop=3))
    run_until(supervisor, logs, lambda logs: sum("restarted" in line for line in logs) >= 5)

    deaths = [line for line in logs if "exited" in line]
    assert all(line.startswith("crasher exited (exit code 3)") for line in deaths)
    assert delays(logs)[:5] == [
        0.05,
        0.1,
        0.2,
        0.2,
        0.2,
    ]  # doubling, capped; never given up
    assert ["crash-looping" in line for line in deaths[:4]] == [
        False,
        False,
        True,
        True,
    ]
    assert str(stack.log_path("crasher")) in deaths[2]
    pids = [int(m) for line in logs for m in re.findall(r"restarted \(pid (\d+)\)", line)]
    assert len(set(pids)) == len(pids) >= 5
    assert stack.log_path("crasher").read_text().count("restarted by make run's supervisor") >= 5


def test_a_child_that_stayed_up_starts_again_from_the_first_delay(stack):
    # Up for 0.6 s (past stable_after), then exit 1: an interval timer ends its wait in signal.pause().
    steady = (
        "import signal, sys; signal.signal(signal.SIGALRM, lambda *_: sys.exit(1)); "
        "signal.setitimer(signal.ITIMER_REAL, 0.6); signal.pause()"
    )
    stack._spawn("steady", ["-c", steady])
    logs: list[str] = []
    supervisor = Supervisor(stack, logs.append, Backoff(first=0.05, cap=5, stable_after=0.5, crash_loop=2))
    run_until(supervisor, logs, lambda logs: sum("exited" in line for line in logs) >= 3)
    assert delays(logs)[:3] == [0.05, 0.05, 0.05]
    assert not any("in a row" in line or "crash-looping" in line for line in logs)


def test_a_killed_child_is_reported_by_signal_and_what_it_left_in_its_group_is_cleared(stack, tmp_path):
    marker = tmp_path / "grandchild.pid"
    # Parent and grandchild each block in signal.pause() until a signal ends them.
    parent = (
        "import signal, subprocess, sys; p = subprocess.Popen([sys.executable, '-c', 'import signal; signal.pause()']); "
        f"open({str(marker)!r}, 'w').write(str(p.pid)); signal.pause()"
    )
    child = stack._spawn("parent", ["-c", parent])
    grandchild = int(poll(lambda: marker.exists() and marker.read_text(), bool, 30, "the grandchild"))
    marker.unlink()
    logs: list[str] = []
    supervisor = Supervisor(stack, logs.append, Backoff(first=0.05))
    # The leader only: left alone, its grandchild would hold on to the child's ports.
    os.kill(child.proc.pid, signal.SIGKILL)
    run_until(supervisor, logs, lambda logs: any("restarted" in line for line in logs))
    assert logs[0].startswith("parent exited (killed by SIGKILL)")
    poll(
        lambda: gone(grandchild),
        bool,
        10,
        "the killed child's grandchild to be gone too",
    )
    assert stack.children["parent"].alive() and stack.children["parent"].proc.pid != child.proc.pid
    assert poll(lambda: marker.exists(), bool, 30, "the new child's grandchild")


def test_exit_descriptions():
    assert describe_exit(-signal.SIGKILL) == "killed by SIGKILL"
    assert describe_exit(2) == "exit code 2"
    assert describe_exit(None) == "exit status unknown"
