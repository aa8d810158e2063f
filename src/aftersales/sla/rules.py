"""Pure SLA arithmetic: working calendars, business-time addition, target and state computation.

Nothing here touches a database or a clock: every function takes the times it needs, so the tables of
cases in the tests pin the behaviour down exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from aftersales.core.i18n import N_, Message
from aftersales.sla.enums import SlaState, TargetKind

Interval = tuple[int, int]  # minutes since local midnight, [start, end), end may be 1440
MAX_DAYS_SCANNED = 3 * 366
FULL_DAY: tuple[Interval, ...] = ((0, 1440),)


@dataclass(frozen=True)
class CalendarSpec:
    """Working time of a calendar.

    ``weekly`` maps weekday (0 = Monday) to open intervals. ``overrides`` replace the weekly rule on
    given dates (a holiday maps to no intervals, a make-up workday to working intervals). When
    ``known_years`` is set (a statutory calendar), dates outside those years fall back to the weekly
    rule and are reported by :func:`unknown_years_between` so an admin can enter the year's holidays.
    """

    timezone: str = "Asia/Shanghai"
    always_open: bool = False
    weekly: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict)
    overrides: Mapping[date, tuple[Interval, ...]] = field(default_factory=dict)
    known_years: frozenset[int] | None = None

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        """Open intervals on a local date."""
        if self.always_open:
            return FULL_DAY
        if day in self.overrides:
            return self.overrides[day]
        return self.weekly.get(day.weekday(), ())


def always_open(timezone: str = "Asia/Shanghai") -> CalendarSpec:
    """The 7x24 calendar."""
    return CalendarSpec(timezone=timezone, always_open=True)


def daily_hours(start: time, end: time, timezone: str = "Asia/Shanghai") -> CalendarSpec:
    """The same opening hours every day (the default service hours are 08:00–20:00)."""
    interval = (_minutes(start), _minutes(end) or 1440)
    return CalendarSpec(timezone=timezone, weekly={weekday: (interval,) for weekday in range(7)})


def parse_interval(text: str) -> Interval:
    """'08:00-20:00' → (480, 1200); '00:00-24:00' → (0, 1440)."""
    try:
        start_text, end_text = text.split("-")
        start = _parse_hhmm(start_text)
        end = _parse_hhmm(end_text)
    except ValueError as error:
        raise ValueError(Message(N_("时间段格式应为 HH:MM-HH:MM：%(text)r"), {"text": text})) from error
    if not 0 <= start < end <= 1440:
        raise ValueError(Message(N_("时间段开始须早于结束：%(text)r"), {"text": text}))
    return (start, end)


def format_interval(interval: Interval) -> str:
    """(480, 1200) → '08:00-20:00'."""
    return f"{interval[0] // 60:02d}:{interval[0] % 60:02d}-{interval[1] // 60:02d}:{interval[1] % 60:02d}"


def _parse_hhmm(text: str) -> int:
    hours, minutes = text.strip().split(":")
    value = int(hours) * 60 + int(minutes)
    if not (0 <= int(minutes) < 60 and 0 <= value <= 1440):
        raise ValueError(text)
    return value


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def _open_spans(spec: CalendarSpec, day: date, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    spans = []
    midnight = datetime.combine(day, time(0), tzinfo=tz)
    for start, end in sorted(spec.intervals_on(day)):
        # Arithmetic in local wall time, then to UTC: correct for zones without DST gaps (Asia/Shanghai).
        spans.append(
            (
                (midnight + timedelta(minutes=start)).astimezone(UTC),
                (midnight + timedelta(minutes=end)).astimezone(UTC),
            )
        )
    return spans


def add_business_time(spec: CalendarSpec, start: datetime, duration: timedelta) -> datetime:
    """The moment when ``duration`` of open time has elapsed on the calendar, counting from ``start``."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if duration < timedelta(0):
        raise ValueError("duration must not be negative")
    start = start.astimezone(UTC)
    if spec.always_open:
        return start + duration
    tz = ZoneInfo(spec.timezone)
    remaining = duration
    day = start.astimezone(tz).date()
    for _ in range(MAX_DAYS_SCANNED):
        for span_start, span_end in _open_spans(spec, day, tz):
            if span_end <= start:
                continue
            begin = max(span_start, start)
            available = span_end - begin
            if remaining <= available:
                # A zero remainder is due at the first open moment, not before the calendar opens.
                return begin + remaining
            remaining -= available
        day += timedelta(days=1)
    raise ValueError("calendar has no working time within three years")


def business_time_between(spec: CalendarSpec, start: datetime, end: datetime) -> timedelta:
    """Open time on the calendar between two instants (zero when end <= start)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return timedelta(0)
    if spec.always_open:
        return end - start
    tz = ZoneInfo(spec.timezone)
    total = timedelta(0)
    day = start.astimezone(tz).date()
    last_day = end.astimezone(tz).date()
    while day <= last_day:
        for span_start, span_end in _open_spans(spec, day, tz):
            overlap = min(span_end, end) - max(span_start, start)
            if overlap > timedelta(0):
                total += overlap
        day += timedelta(days=1)
    return total


def unknown_years_between(spec: CalendarSpec, start: datetime, end: datetime) -> set[int]:
    """Years touched by [start, end] that a statutory calendar has no holiday data for."""
    if spec.known_years is None or spec.always_open:
        return set()
    tz = ZoneInfo(spec.timezone)
    years = range(start.astimezone(tz).year, end.astimezone(tz).year + 1)
    return {year for year in years if year not in spec.known_years}


@dataclass(frozen=True)
class PolicySpec:
    """Target durations of one priority (measured in the calendar's open time)."""

    first_response: timedelta
    resolution: timedelta
    onsite: timedelta | None = None
    onsite_kinds: frozenset[str] = frozenset({"installation", "repair"})
    warning_ratio: float = 0.8


@dataclass(frozen=True)
class TargetPlan:
    """One target for a ticket: how long, and when it warns and falls due."""

    kind: TargetKind
    duration: timedelta
    warn_at: datetime
    due_at: datetime


def plan_targets(
    policy: PolicySpec,
    calendar: CalendarSpec,
    *,
    start: datetime,
    ticket_kind: str,
    paused: timedelta = timedelta(0),
) -> list[TargetPlan]:
    """The targets a ticket of this kind gets under the policy, counted from ``start``."""
    durations = [(TargetKind.FIRST_RESPONSE, policy.first_response)]
    if policy.onsite is not None and ticket_kind in policy.onsite_kinds:
        durations.append((TargetKind.ONSITE, policy.onsite))
    durations.append((TargetKind.RESOLUTION, policy.resolution))
    return [
        plan_target(kind, duration, policy.warning_ratio, calendar, start=start, paused=paused)
        for kind, duration in durations
    ]


def plan_target(
    kind: TargetKind,
    duration: timedelta,
    warning_ratio: float,
    calendar: CalendarSpec,
    *,
    start: datetime,
    paused: timedelta = timedelta(0),
) -> TargetPlan:
    """Warn and due times of one target, with paused open time added to the clock."""
    warn_after = timedelta(seconds=round(duration.total_seconds() * warning_ratio))
    return TargetPlan(
        kind=kind,
        duration=duration,
        warn_at=add_business_time(calendar, start, warn_after + paused),
        due_at=add_business_time(calendar, start, duration + paused),
    )


@dataclass(frozen=True)
class TargetStatus:
    """What is known of a target at a moment, for state computation."""

    due_at: datetime
    warn_at: datetime
    met_at: datetime | None = None
    paused_since: datetime | None = None
    breached_at: datetime | None = None


def target_state(target: TargetStatus, now: datetime) -> SlaState:
    """State of one target at ``now``."""
    if target.met_at is not None:
        late = target.breached_at is not None or target.met_at > target.due_at
        return SlaState.BREACHED if late else SlaState.MET
    if target.breached_at is not None:
        return SlaState.BREACHED
    if target.paused_since is not None:  # a stopped clock cannot run out
        return SlaState.PAUSED
    if now >= target.due_at:
        return SlaState.BREACHED
    if now >= target.warn_at:
        return SlaState.WARNING
    return SlaState.ON_TRACK


_SEVERITY = {
    SlaState.BREACHED: 4,
    SlaState.WARNING: 3,
    SlaState.ON_TRACK: 2,
    SlaState.PAUSED: 1,
    SlaState.MET: 0,
}


def combine_states(states: Iterable[SlaState]) -> SlaState:
    """A ticket's state: any breach wins, then warning, then a running clock, then paused, else met."""
    collected = list(states)
    if not collected:
        return SlaState.MET
    return max(collected, key=_SEVERITY.__getitem__)


def next_check_at(target: TargetStatus, *, warned: bool) -> datetime | None:
    """When the sweep next needs to look at a target (None when nothing more can happen)."""
    if target.met_at is not None or target.paused_since is not None or target.breached_at is not None:
        return None
    if not warned:
        return target.warn_at
    return target.due_at
