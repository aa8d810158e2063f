"""CPU priority of background threads: bulk work that no one waits for gives way to people's requests."""

from __future__ import annotations

import logging
import os
import threading

log = logging.getLogger("aftersales.core")

NICEST = 19


def lower_thread_priority(niceness: int) -> int | None:
    """Add ``niceness`` to the calling thread's nice value and return the new value.

    Linux schedules threads one by one and gives each its own nice value, so this slows only the thread
    that calls it (and processes it starts later), never the requests served by the process's other
    threads. Returns None where that is not possible (another system, a zero niceness, or refused)."""
    if niceness <= 0 or not hasattr(os, "setpriority"):
        return None
    thread = threading.get_native_id()
    try:
        nicer = min(NICEST, os.getpriority(os.PRIO_PROCESS, thread) + niceness)
        os.setpriority(os.PRIO_PROCESS, thread, nicer)
    except OSError as error:  # e.g. a sandbox that forbids it: the job runs at the usual priority
        log.warning("could not lower the priority of thread %s: %s", thread, error)
        return None
    return nicer
