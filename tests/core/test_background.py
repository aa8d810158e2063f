"""Follow-up runners: a kick wakes the background thread at once; the inline runner runs in place."""

from __future__ import annotations

import threading

from aftersales.core.background import BackgroundRunner, InlineRunner


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
