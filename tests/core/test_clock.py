"""The clocks: a linked clock follows its parent's clock, in this process and in a spawned child."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aftersales.core.background import ProcessRunner
from aftersales.core.clock import Clock, FrozenClock, LinkedClock
from tests.conftest import wait_for_lines

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


class SettableClock:
    """A source that is not frozen (so the link runs between publications), moved by hand."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


class Ticks:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.value = 100.0

    def __call__(self) -> float:
        return self.value


def test_a_link_to_a_frozen_clock_reads_exactly_what_was_last_published() -> None:
    source = FrozenClock(T0)
    link = LinkedClock(source)
    assert link.now() == T0
    source.advance(timedelta(minutes=5))
    assert link.now() == T0  # not published yet
    link.publish()
    assert link.now() == T0 + timedelta(minutes=5)
    source.set(T0 - timedelta(hours=1))  # a test may set its frozen clock back: the link follows
    link.publish()
    assert link.now() == T0 - timedelta(hours=1)


def test_a_link_to_a_running_clock_runs_from_each_publication_and_never_goes_back() -> None:
    source, ticks = SettableClock(T0), Ticks()
    link = LinkedClock(source, monotonic=ticks)
    assert link.now() == T0
    ticks.value += 1.5
    assert link.now() == T0 + timedelta(seconds=1.5)  # runs at the local rate between publications
    source.at = T0 + timedelta(seconds=10)
    link.publish()
    assert link.now() == T0 + timedelta(seconds=10)  # re-anchored on the newly published instant
    ticks.value += 0.25
    assert link.now() == T0 + timedelta(seconds=10.25)
    source.at = T0 + timedelta(seconds=10.1)  # published behind what was already read
    link.publish()
    assert link.now() == T0 + timedelta(seconds=10.25)  # held, never earlier than a previous reading
    ticks.value += 1.0
    assert link.now() == T0 + timedelta(seconds=11.1)


def _write_now(clock: Clock, path: Path) -> None:
    with path.open("a") as handle:
        handle.write(clock.now().isoformat() + "\n")


def _build_reader(clock: Clock, path: str) -> Callable[[], None]:
    """Runs in the child: each run appends the child's reading of ``clock``."""
    return functools.partial(_write_now, clock, Path(path))


def test_a_spawned_child_reads_the_time_its_parent_published_with_the_kick(tmp_path: Path) -> None:
    out = tmp_path / "readings.txt"
    source = FrozenClock(T0)
    link = LinkedClock(source)
    runner = ProcessRunner(
        functools.partial(_build_reader, link, str(out)),
        name="test-clock-child",
        poll_seconds=3600,
        before_kick=link.publish,
    )
    runner.start()
    try:
        source.advance(timedelta(hours=3))
        runner.kick()
        assert wait_for_lines(out, 1) == [(T0 + timedelta(hours=3)).isoformat()]
        source.advance(timedelta(seconds=42))
        runner.kick()
        assert wait_for_lines(out, 2)[1] == (T0 + timedelta(hours=3, seconds=42)).isoformat()
    finally:
        runner.stop()
