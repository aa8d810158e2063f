"""Follow-up work that runs after a request's commit, not inside it.

A route that left work behind (a dispatch request) *kicks* the process's runner once its transaction
has committed. ``BackgroundRunner`` wakes its own thread at once (and also polls, to pick up work other
processes left), so the caller's reply never waits for the follow-up; ``InlineRunner`` runs it in the
caller's thread right after the commit (tests, and single-threaded tools). A failing run is logged and
never reaches the caller.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

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
