"""Follow-up work that runs after a request's commit, not inside it.

A route that left work behind (a dispatch request) *kicks* the process's runner once its transaction
has committed. ``BackgroundRunner`` wakes its own thread at once (and also polls, to pick up work other
processes left), so the caller's reply never waits for the follow-up; ``InlineRunner`` runs it in the
caller's thread right after the commit (tests, and single-threaded tools); ``ProcessRunner`` runs it
in a child process of its own (serving processes, so that it never takes their requests' GIL). A
failing run is logged and never reaches the caller.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event as EventType

log = logging.getLogger("aftersales.background")


class InlineRunner:
    """Runs the follow-up in the caller's thread when kicked."""

    is_inline = True

    def __init__(self, run: Callable[[], object], *, name: str) -> None:
        self._run = run
        self.name = name

    def kick(self) -> None:
        """Run the follow-up now; errors are logged, not raised."""
        try:
            self._run()
        except Exception:
            log.exception("%s failed", self.name)

    def start(self) -> None:
        """Nothing to start."""

    def stop(self, timeout: float = 10.0) -> None:
        """Nothing to stop."""


class BackgroundRunner:
    """A daemon thread that runs the follow-up when kicked, and every ``poll_seconds`` regardless."""

    is_inline = False

    def __init__(self, run: Callable[[], object], *, name: str, poll_seconds: float) -> None:
        self._run = run
        self.name = name
        self._poll = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def kick(self) -> None:
        """Wake the thread (returns at once)."""
        self._wake.set()

    def start(self) -> None:
        """Start the thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the current run and end the thread."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            self._wake.set()
            thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._poll)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self._run()
            except Exception:
                log.exception("%s failed", self.name)
            self.runs += 1


class ProcessRunner:
    """The follow-up in a child process of its own, woken when kicked and every ``poll_seconds``.

    A thread of the serving process shares that process's GIL with the requests: under a rush the
    decisions (about 1 ms of Python each) took a third of the one core intake can use. The child has its
    own interpreter, engine and core. ``build`` (picklable: a module-level function or a ``partial`` of
    one) runs once in the child and returns the callable to run. A child that died (killed, out of
    memory) is started again at the next kick; a child whose parent is gone exits by itself."""

    is_inline = False
    CHECK_EVERY_SECONDS = 1.0

    def __init__(
        self,
        build: Callable[[], Callable[[], object]],
        *,
        name: str,
        poll_seconds: float,
        before_kick: Callable[[], None] | None = None,
    ) -> None:
        self._build = build
        self._before_kick = before_kick  # e.g. publish the parent's clock (``core.clock.LinkedClock``)
        self.name = name
        self._poll = poll_seconds
        # spawn, not fork: the parent runs threads (writer, event loop) that a fork would copy mid-step.
        self._context = multiprocessing.get_context("spawn")
        self._wake = self._context.Event()
        self._stop = self._context.Event()
        self._process: BaseProcess | None = None
        self._lock = threading.Lock()
        self._checked_at = 0.0

    def kick(self) -> None:
        """Wake the child (returns at once); start it again if it has died."""
        if self._before_kick is not None:
            self._before_kick()
        self._wake.set()
        now = time.monotonic()
        if now - self._checked_at >= self.CHECK_EVERY_SECONDS:
            self._checked_at = now
            with self._lock:
                process = self._process
                if process is not None and not process.is_alive() and not self._stop.is_set():
                    log.warning("%s exited with %s; starting it again", self.name, process.exitcode)
                    self._spawn()

    def start(self) -> None:
        """Start the child (idempotent)."""
        with self._lock:
            if self._process is None:
                self._stop.clear()
                self._spawn()

    def stop(self, timeout: float = 10.0) -> None:
        """Let the child finish its current run and exit (terminated if it does not within ``timeout``)."""
        with self._lock:
            process, self._process = self._process, None
        if process is None:
            return
        self._stop.set()
        self._wake.set()
        process.join(timeout)
        if process.is_alive():
            process.terminate()
            process.join(timeout)

    @property
    def pid(self) -> int | None:
        """The child's process id (None before start and after stop)."""
        process = self._process
        return process.pid if process is not None else None

    def _spawn(self) -> None:
        process = self._context.Process(
            target=_child_loop,
            args=(self._build, self._wake, self._stop, self._poll, os.getpid(), self.name),
            name=self.name,
            daemon=True,
        )
        process.start()
        self._process = process


def _child_loop(
    build: Callable[[], Callable[[], object]],
    wake: EventType,
    stop: EventType,
    poll_seconds: float,
    parent: int,
    name: str,
) -> None:
    """In the child: build the follow-up, then run it whenever woken, until told to stop or orphaned."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name=f"{name}-parent-watch", daemon=True).start()
    run = build()
    while not stop.is_set():
        wake.wait(poll_seconds)
        wake.clear()
        if stop.is_set():
            return
        try:
            run()
        except Exception:
            log.exception("%s failed", name)
