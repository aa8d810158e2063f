"""Follow-up runners: a kick wakes the background thread (or child process) at once; the inline runner
runs in place; a killed child is started again; a stopped one is gone."""

from __future__ import annotations

import functools
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from aftersales.core.background import BackgroundRunner, InlineRunner, ProcessRunner
from tests.conftest import wait_for_lines


def test_a_kick_wakes_the_background_runner_long_before_its_poll() -> None:
    ran = threading.Event()
    threads: list[str] = []

    def work() -> None:
        threads.append(threading.current_thread().name)
        ran.set()

    runner = BackgroundRunner(work, name="test-runner", poll_seconds=3600)
    runner.start()
    try:
        assert not ran.wait(0.2)  # nothing until kicked (the poll is an hour away)
        runner.kick()
        assert ran.wait(10)
    finally:
        runner.stop()
    assert threads == ["test-runner"]


def test_a_failing_run_is_logged_and_the_runner_keeps_going() -> None:
    results: list[str] = []
    second = threading.Event()

    def flaky() -> None:
        if not results:
            results.append("failed")
            raise RuntimeError("boom")
        results.append("ok")
        second.set()

    runner = BackgroundRunner(flaky, name="flaky-runner", poll_seconds=3600)
    runner.start()
    try:
        runner.kick()
        while not results:
            threading.Event().wait(0.01)
        runner.kick()
        assert second.wait(10)
    finally:
        runner.stop()
    assert results == ["failed", "ok"]


def test_the_inline_runner_runs_in_the_callers_thread_and_swallows_errors() -> None:
    seen: list[str] = []
    InlineRunner(lambda: seen.append(threading.current_thread().name), name="inline").kick()
    assert seen == [threading.current_thread().name]
    InlineRunner(lambda: 1 / 0, name="inline").kick()  # logged, not raised


def _append_pid(path: Path) -> None:
    with path.open("a") as handle:
        handle.write(f"{os.getpid()}\n")


def _build_appender(path: str) -> Callable[[], None]:
    """Runs in the child: the follow-up appends the child's pid to ``path``."""
    return functools.partial(_append_pid, Path(path))


def _gone(pid: int, *, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.02)
    return False


def test_a_kick_wakes_the_child_process_which_runs_in_its_own_process(tmp_path: Path) -> None:
    out = tmp_path / "runs.txt"
    runner = ProcessRunner(functools.partial(_build_appender, str(out)), name="test-child", poll_seconds=3600)
    runner.start()
    try:
        child = runner.pid
        assert child is not None and child != os.getpid()
        runner.kick()
        assert wait_for_lines(out, 1) == [str(child)]
        runner.kick()
        assert wait_for_lines(out, 2) == [str(child), str(child)]  # the same child, woken again
    finally:
        runner.stop()
    assert runner.pid is None
    assert _gone(child)


def test_a_killed_child_is_started_again_at_the_next_kick(tmp_path: Path) -> None:
    out = tmp_path / "runs.txt"
    runner = ProcessRunner(functools.partial(_build_appender, str(out)), name="test-child", poll_seconds=3600)
    runner.CHECK_EVERY_SECONDS = 0.0  # check the child at every kick (a server checks at most once a second)
    runner.start()
    try:
        first = runner.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while runner.pid == first and time.monotonic() < deadline:
            runner.kick()  # once the child is seen dead, another starts and runs the pending kick
            time.sleep(0.02)
        second = runner.pid
        assert second not in (None, first, os.getpid())
        assert wait_for_lines(out, 1) == [str(second)]
    finally:
        runner.stop()
