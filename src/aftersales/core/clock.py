"""An injectable clock so domain code never reads the wall clock directly."""

from __future__ import annotations

import time
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
