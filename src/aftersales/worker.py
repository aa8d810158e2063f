"""The background job loop run by ``aftersales worker`` and, in-process, by ``aftersales serve``."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from aftersales.analytics.jobs import hot_issue_job, rollup_job
from aftersales.config import Settings
from aftersales.core.clock import Clock
from aftersales.core.priority import lower_thread_priority
from aftersales.dispatch.planning.jobs import dispatch_job
from aftersales.feedback.jobs import feedback_job
from aftersales.notifications.jobs import deliver_job
from aftersales.tickets.jobs import sweep_job

log = logging.getLogger("aftersales.worker")


@dataclass(frozen=True)
class Job:
    name: str
    interval_seconds: float
    run: Callable[[sessionmaker[Session], Clock, Settings], object]
    # Bulk reads of history that no one waits for: run at a lower CPU priority (``background_nice``).
    yields_cpu: bool = False


def jobs(settings: Settings) -> list[Job]:
    """Every periodic job, with its interval."""
    return [
        Job("sla_sweep", settings.sweep_interval_seconds, sweep_job),
        # Dispatch requests left by intake in other processes (the serving process decides its own at once).
        Job("dispatch", settings.dispatch_poll_seconds, dispatch_job),
        Job("hot_issues", 300.0, hot_issue_job, yields_cpu=True),
        Job("dashboard_rollups", 120.0, rollup_job, yields_cpu=True),
        Job("notifications", settings.notify_interval_seconds, deliver_job),
        Job("feedback", 60.0, feedback_job),
    ]


def run_forever(
    session_factory: sessionmaker[Session], clock: Clock, settings: Settings, stop: threading.Event
) -> None:
    """Run every job in a thread of its own, each on its interval, until ``stop`` is set: a long pass of
    one job (hot-issue topics over a big history, a large sweep) never delays another (an urgent
    dispatch decision). A failing job is logged and retried next time."""
    threads = [
        threading.Thread(
            target=_run_job,
            args=(job, session_factory, clock, settings, stop),
            name=f"aftersales-job-{job.name}",
            daemon=True,
        )
        for job in jobs(settings)
    ]
    for thread in threads:
        thread.start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)


def _run_job(
    job: Job, session_factory: sessionmaker[Session], clock: Clock, settings: Settings, stop: threading.Event
) -> None:
    if job.yields_cpu:
        lower_thread_priority(settings.background_nice)
    while not stop.is_set():
        try:
            result = job.run(session_factory, clock, settings)
            log.info("job %s: %s", job.name, result)
        except Exception:
            log.exception("job %s failed", job.name)
        stop.wait(job.interval_seconds)


def start_in_thread(
    session_factory: sessionmaker[Session], clock: Clock, settings: Settings
) -> tuple[threading.Thread, threading.Event]:
    """Run the job loop in a daemon thread (single-machine default of ``serve``)."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_forever, args=(session_factory, clock, settings, stop), name="aftersales-jobs", daemon=True
    )
    thread.start()
    return thread, stop
