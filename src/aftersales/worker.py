"""The background job loop run by ``aftersales worker`` and, in-process, by ``aftersales serve``."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from aftersales.analytics.jobs import hot_issue_job
from aftersales.config import Settings
from aftersales.core.clock import Clock
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


def jobs(settings: Settings) -> list[Job]:
    """Every periodic job, with its interval."""
    return [
        Job("sla_sweep", settings.sweep_interval_seconds, sweep_job),
        # Dispatch requests left by intake in other processes (the serving process decides its own at once).
        Job("dispatch", settings.dispatch_poll_seconds, dispatch_job),
        Job("hot_issues", 300.0, hot_issue_job),
        Job("notifications", settings.notify_interval_seconds, deliver_job),
        Job("feedback", 60.0, feedback_job),
    ]


def run_forever(
    session_factory: sessionmaker[Session], clock: Clock, settings: Settings, stop: threading.Event
) -> None:
    """Run each job on its interval until ``stop`` is set; a failing job is logged and retried next time."""
    schedule = {job.name: 0.0 for job in jobs(settings)}
    elapsed = 0.0
    tick = min(1.0, *(job.interval_seconds for job in jobs(settings)))
    while not stop.is_set():
        for job in jobs(settings):
            if elapsed >= schedule[job.name]:
                try:
                    result = job.run(session_factory, clock, settings)
                    log.info("job %s: %s", job.name, result)
                except Exception:
                    log.exception("job %s failed", job.name)
                schedule[job.name] = elapsed + job.interval_seconds
        stop.wait(tick)
        elapsed += tick


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
