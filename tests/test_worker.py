"""The background job loop: each job on its own thread, so a long pass of one never delays another."""

from __future__ import annotations

import logging
import os
import sys
import threading

import pytest
from sqlalchemy.orm import Session, sessionmaker

from aftersales import worker
from aftersales.config import Settings
from aftersales.core.clock import FrozenClock


def test_a_long_running_job_does_not_hold_up_the_others(
    session_factory: sessionmaker[Session], clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    release, slow_started, quick_ran = threading.Event(), threading.Event(), threading.Event()

    def slow(*_args: object) -> str:
        slow_started.set()
        release.wait(10)
        return "slow"

    def quick(*_args: object) -> str:
        quick_ran.set()
        return "quick"

    monkeypatch.setattr(
        worker, "jobs", lambda settings: [worker.Job("slow", 60.0, slow), worker.Job("quick", 60.0, quick)]
    )
    thread, stop = worker.start_in_thread(session_factory, clock, Settings())
    try:
        assert slow_started.wait(5)
        assert quick_ran.wait(5)  # while the slow one is still in its pass
        assert not release.is_set()
    finally:
        release.set()
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_a_failing_job_is_logged_and_the_others_go_on(
    session_factory: sessionmaker[Session],
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ran = threading.Event()

    def broken(*_args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(
        worker,
        "jobs",
        lambda settings: [worker.Job("broken", 60.0, broken), worker.Job("fine", 60.0, lambda *_: ran.set())],
    )
    thread, stop = worker.start_in_thread(session_factory, clock, Settings())
    with caplog.at_level(logging.ERROR, logger="aftersales.worker"):
        try:
            assert ran.wait(5)
        finally:
            stop.set()
            thread.join(timeout=10)
    assert not thread.is_alive()
    assert [record.getMessage() for record in caplog.records] == ["job broken failed"]


def _nice_of_this_thread() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
@pytest.mark.parametrize("niceness", [10, 0])
def test_bulk_jobs_run_nicer_than_the_process_and_the_others_do_not(
    session_factory: sessionmaker[Session], clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, niceness: int
) -> None:
    base = _nice_of_this_thread()
    seen: dict[str, int] = {}
    both = threading.Barrier(3, timeout=10)

    def record(name: str) -> object:
        def run(*_args: object) -> str:
            seen[name] = _nice_of_this_thread()
            both.wait()
            return name

        return run

    monkeypatch.setattr(
        worker,
        "jobs",
        lambda settings: [
            worker.Job("bulk", 60.0, record("bulk"), yields_cpu=True),
            worker.Job("urgent", 60.0, record("urgent")),
        ],
    )
    thread, stop = worker.start_in_thread(session_factory, clock, Settings(background_nice=niceness))
    try:
        both.wait()
    finally:
        stop.set()
        thread.join(10)
    assert seen == {"bulk": min(19, base + niceness), "urgent": base}
    assert _nice_of_this_thread() == base  # the calling thread (a server's requests) is untouched
