"""CPU-heavy pure work (route solving, emergency insertion) in a child process.

VROOM keeps Python's GIL for the whole of a solve, and the planner's own search is pure Python: run in a
server's threads, either would stall every request of that process while a day is planned or an
emergency placed. Servers and workers call ``enable(True)`` at start; from then on ``run`` hands the
function and its (picklable) arguments to one child process and the calling thread waits for the answer
without holding the GIL. Tests and one-shot commands leave it off and compute in the calling thread.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class _Child:
    """The child process of this process, when one is wanted (started on first use)."""

    def __init__(self) -> None:
        self.enabled = False
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # spawn, not fork: the parent runs threads (writer, dispatcher) that a fork would copy mid-step.
                self._pool = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_follow_parent,
                    initargs=(os.getpid(),),
                )
            return self._pool

    def discard(self, pool: ProcessPoolExecutor | None) -> None:
        with self._lock:
            if pool is None or self._pool is pool:
                pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


_child = _Child()


def _follow_parent(parent: int) -> None:
    """In the child: exit when the process it works for is gone (even killed with SIGKILL, which leaves
    it no chance to stop its pool), instead of lingering as an orphan."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="aftersales-offload-parent-watch", daemon=True).start()


def enable(enabled: bool) -> None:
    """Compute in a child process from now on (servers, workers), or in the calling thread."""
    _child.enabled = enabled
    if not enabled:
        _child.discard(None)


def run(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``function(*args, **kwargs)``, in the child process when enabled. A child that died (killed, out
    of memory) is replaced next time; this call then computes here."""
    if not _child.enabled:
        return function(*args, **kwargs)
    pool = _child.pool()
    try:
        return pool.submit(function, *args, **kwargs).result()
    except BrokenProcessPool:
        _child.discard(pool)
        return function(*args, **kwargs)


def worker_pid() -> int:
    """The process that runs offloaded work: the child's pid when enabled, else ours."""
    return run(os.getpid)
