"""Pure dashboard logic: the reporting period from the filter's text, local-time bucketing of hourly counts,
rates, and the fault-type keyword table. No database, no clock, no web."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from aftersales.core.timeutil import LOCAL

DEFAULT_RANGE_DAYS = 30
MAX_RANGE_DAYS = 366
# Dates outside these bounds are refused as input errors (and keep date arithmetic far from overflow).
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)
TOP_FAULT_COUNT = 10
# Ticket kinds whose descriptions are about something broken (installations and questions are not faults).
FAULT_KINDS = ("repair", "complaint")


def N_(message: str) -> str:
    """Mark a label for the console's translation catalog (it is translated when shown)."""
    return message


class RangeProblem(StrEnum):
    """Why the requested period was not used as given (the console words the message)."""

    INVALID_START = "invalid_start"
    INVALID_END = "invalid_end"
    START_AFTER_END = "start_after_end"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class ReportingPeriod:
    """Local dates (AFTERSALES_TIMEZONE), both inclusive, and what was wrong with the request, if anything."""

    start: date
    end: date
    problems: tuple[RangeProblem, ...] = ()

    @property
    def days(self) -> int:
        """Number of days in the period."""
        return (self.end - self.start).days + 1


def default_period(today: date) -> ReportingPeriod:
    """The last 30 days, ending today."""
    return ReportingPeriod(start=today - timedelta(days=DEFAULT_RANGE_DAYS - 1), end=today)


def parse_local_date(text: str | None) -> date | None:
    """A YYYY-MM-DD date; None for empty input. Raises ValueError for anything else."""
    if text is None or not text.strip():
        return None
    value = date.fromisoformat(text.strip())
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(f"date out of range: {value}")
    return value


def resolve_period(start_text: str | None, end_text: str | None, *, today: date) -> ReportingPeriod:
    """The period a filter asks for.

    Empty fields take the defaults (end today, start 29 days before the end). An unreadable date or a
    start after the end falls back to the whole default period; a period longer than 366 days is cut
    to the 366 days ending on the requested end.
    """
    problems: list[RangeProblem] = []
    try:
        start = parse_local_date(start_text)
    except ValueError:
        problems.append(RangeProblem.INVALID_START)
        start = None
    try:
        end = parse_local_date(end_text)
    except ValueError:
        problems.append(RangeProblem.INVALID_END)
        end = None
    if problems:
        return ReportingPeriod(**_fields(default_period(today)), problems=tuple(problems))
    end = end or today
    start = start or end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if start > end:
        return ReportingPeriod(**_fields(default_period(today)), problems=(RangeProblem.START_AFTER_END,))
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        return ReportingPeriod(
            start=end - timedelta(days=MAX_RANGE_DAYS - 1), end=end, problems=(RangeProblem.TOO_LONG,)
        )
    return ReportingPeriod(start=start, end=end)


def _fields(period: ReportingPeriod) -> dict[str, date]:
    return {"start": period.start, "end": period.end}


def utc_bounds(start: date, end: date, tz: tzinfo = LOCAL) -> tuple[datetime, datetime]:
    """The UTC instants [start 00:00 local, the day after end 00:00 local)."""
    lower = datetime.combine(start, time(0), tzinfo=tz).astimezone(UTC)
    upper = datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return lower, upper


@dataclass(frozen=True)
class Volume:
    """Tickets per local hour of the day (24 values) and per local date of the period (every day)."""

    by_hour: list[int]
    by_day: list[tuple[date, int]]

    @property
    def total(self) -> int:
        """All tickets counted."""
        return sum(self.by_hour)


def fold_hourly_counts(counts: Iterable[tuple[datetime, int]], *, start: date, end: date, tz: tzinfo = LOCAL) -> Volume:
    """Fold counts per UTC hour (aware datetimes at the start of each hour) into local hours and dates.

    Counts whose local date falls outside [start, end] are ignored.
    """
    by_hour = [0] * 24
    by_date: dict[date, int] = {}
    for hour_start, count in counts:
        local = hour_start.astimezone(tz)
        if not start <= local.date() <= end:
            continue
        by_hour[local.hour] += count
        by_date[local.date()] = by_date.get(local.date(), 0) + count
    days = [start + timedelta(days=offset) for offset in range((end - start).days + 1)]
    return Volume(by_hour=by_hour, by_day=[(day, by_date.get(day, 0)) for day in days])


def rate(part: int, whole: int) -> float | None:
    """part / whole rounded to 4 places; None when there is nothing to divide."""
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True)
class FaultType:
    """A fault category: a stable code, its Chinese name, and the (lower-case) keywords that reveal it."""

    code: str
    name: str
    keywords: tuple[str, ...]


# Checked in this order; the first match wins. Specific situations come before the parts they mention:
# "被锁门外，密码和指纹都打不开" is a lock-out, "门锁提示电量低" a battery fault, "手表进水，开不了机" water.
FAULT_TYPES: tuple[FaultType, ...] = (
    FaultType("locked_out", N_("被锁门外/无法开门"), ("被锁门外", "锁门外", "门打不开", "开不了门", "进不去")),
    FaultType("water", N_("漏水/进水"), ("漏水", "滴水", "渗水", "进水了", "泡水")),
    FaultType("no_power_on", N_("不开机/死机"), ("不开机", "无法开机", "开不了机", "开机没反应", "死机")),
    FaultType("alarm", N_("误报警"), ("报警", "防撬")),
    FaultType("battery", N_("电池/电量"), ("电池", "电量", "没电")),
    FaultType("password_forgotten", N_("密码遗忘"), ("忘记密码", "密码忘", "忘了密码")),
    FaultType("fingerprint", N_("指纹识别"), ("指纹",)),
    FaultType("face", N_("人脸识别"), ("人脸", "刷脸", "面部识别")),
    FaultType("peephole", N_("猫眼/可视门铃"), ("猫眼", "门铃", "可视")),
    FaultType("network", N_("网络/App 连接"), ("离线", "连不上网", "断网", "网络", "wifi", "路由器", "app")),
    FaultType("password", N_("密码"), ("密码",)),
    FaultType("lock_body", N_("门锁/锁体"), ("锁体", "锁舌", "把手", "反锁", "锁芯", "关不严")),
    FaultType("noise", N_("异响/电机"), ("异响", "电机", "咔咔", "声音很大")),
    FaultType("screen", N_("屏幕/触摸"), ("屏幕", "黑屏", "花屏", "触摸", "触屏")),
    FaultType("charging", N_("充电"), ("充电", "充不进")),
    FaultType("location_call", N_("定位/通话"), ("定位", "无服务", "打不了电话", "信号")),
    FaultType("water_flow", N_("出水/滤芯"), ("不出水", "出水小", "滤芯", "水质")),
    FaultType("lifting", N_("升降/遥控"), ("升降", "遥控")),
)
FAULT_NAMES: Mapping[str, str] = {fault.code: fault.name for fault in FAULT_TYPES}
# A repair or complaint that names no known fault.
OTHER_FAULT_NAMES: Mapping[str, str] = {"repair": N_("其他报修"), "complaint": N_("其他投诉")}


def classify_fault(text: str) -> FaultType | None:
    """The fault type a description reveals (first matching entry of FAULT_TYPES), or None."""
    lowered = text.lower()
    return next((fault for fault in FAULT_TYPES if any(keyword in lowered for keyword in fault.keywords)), None)


def fault_name(value: str | None, kind: str) -> str:
    """The shown name of a classified fault: a known code's name, a free-text fault type as given, or
    the kind's "other" bucket when nothing matched."""
    if value is None or not value.strip():
        return OTHER_FAULT_NAMES.get(kind, N_("其他"))
    return FAULT_NAMES.get(value, value.strip())


def top_counts(counts: Iterable[tuple[str, int]], limit: int = TOP_FAULT_COUNT) -> list[tuple[str, int]]:
    """Merge counts by name, then the ``limit`` largest (ties by name, for a stable order)."""
    merged: dict[str, int] = {}
    for name, count in counts:
        merged[name] = merged.get(name, 0) + count
    return sorted(merged.items(), key=lambda item: (-item[1], item[0]))[:limit]


def date_runs(start: date, end: date, *, skip: set[date]) -> list[tuple[date, date]]:
    """The runs of consecutive dates in [start, end] that are not in ``skip``, oldest first."""
    runs: list[tuple[date, date]] = []
    day = start
    while day <= end:
        if day in skip:
            day += timedelta(days=1)
            continue
        first = day
        while day + timedelta(days=1) <= end and day + timedelta(days=1) not in skip:
            day += timedelta(days=1)
        runs.append((first, day))
        day += timedelta(days=1)
    return runs
