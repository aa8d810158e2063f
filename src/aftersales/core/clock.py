"""An injectable clock so domain code never reads the wall clock directly."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that can tell the current UTC time."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock (UTC, timezone-aware)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to; for tests, imports and simulations."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs a timezone-aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        """Jump to ``at`` (timezone-aware)."""
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs a timezone-aware datetime")
        self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        """Move forward by ``delta``."""
        self._at = self._at + delta


class RunningClock:
    """A clock set to ``at`` that then runs at real speed: "as if" it were ``at``, yet time still passes.

    For the browser tests and rehearsals at a chosen hour: the time of day and the calendar are fixed (who is
    on shift, which targets are due), while sessions, timeouts and the order of events still move forward.
    Elapsed time is measured on the monotonic clock, so wall-clock jumps do not move it.
    """

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("RunningClock needs a timezone-aware datetime")
        self._at = at.astimezone(UTC)
        self._started = time.monotonic()

    def now(self) -> datetime:
        return self._at + timedelta(seconds=time.monotonic() - self._started)


class LinkedClock:
    """A parent process's clock as read in its child processes, kept in step through shared memory.

    A ``RunningClock`` copied into a spawned child would measure elapsed time on the child's own
    monotonic clock, which faketime (the browser journeys at a fixed hour) starts afresh in each process:
    the child's decisions were then stamped before the tickets they decided. The parent publishes its
    ``now()`` before waking the child (``publish``); the child reads the last published instant and, for a
    running source, adds the time elapsed since it first saw that value, never going back. A frozen source
    reads exactly the published instant. Build it in the parent before spawning the child."""

    def __init__(self, source: Clock, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._source = source
        self._monotonic = monotonic
        self._runs = not isinstance(source, FrozenClock)
        self._published = multiprocessing.get_context("spawn").RawValue("d", source.now().timestamp())
        self._seen = float("nan")
        self._seen_at = 0.0
        self._last: datetime | None = None

    def publish(self) -> None:
        """In the parent: make the source's current time the one the children follow."""
        self._published.value = self._source.now().timestamp()

    def now(self) -> datetime:
        published = self._published.value
        at = datetime.fromtimestamp(published, UTC)
        if not self._runs:
            return at
        mono = self._monotonic()
        if published != self._seen:
            self._seen, self._seen_at = published, mono
        at += timedelta(seconds=mono - self._seen_at)
        if self._last is not None and at < self._last:
            at = self._last
        self._last = at
        return at
