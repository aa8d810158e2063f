"""SLA calendars: the pure spec of a stored calendar, editing a calendar's days and known years, and flagging
years a computation needed holidays for.

Every registered ticket and every moved clock reads a calendar's spec, so specs are cached: per database
(engine), per calendar, for the calendar's revision. Only committed calendars are shared. Each edit bumps
the revision and records the calendar as edited by the session's current transaction; until that
transaction ends, the session builds that calendar's spec afresh and never puts it in the cache. So a
spec built from an edit that is then rolled back (a transaction or a savepoint) can never be served for a
later, different edit that happens to reach the same revision number.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, SessionTransaction

from aftersales.core.db import core_connection
from aftersales.core.i18n import N_, message_of
from aftersales.sla import rules
from aftersales.sla.enums import CalendarKind
from aftersales.sla.errors import CalendarDayNotFoundError, CalendarNotFoundError, InvalidCalendarError
from aftersales.sla.models import Calendar, CalendarDay
from aftersales.sla.service.statements import statements

_cache_lock = threading.Lock()
# Per database: calendar id -> (revision, spec), the last committed revision read. An engine's entries
# go with it.
_spec_cache: WeakKeyDictionary[Engine, dict[int, tuple[int, rules.CalendarSpec]]] = WeakKeyDictionary()
# In ``Session.info``: the transaction that edited calendars, and their ids.
_EDITED_KEY = "aftersales.sla.edited_calendars"


def calendar_spec(session: Session, calendar_id: int) -> rules.CalendarSpec:
    """The pure spec of a stored calendar (cached per database and committed calendar revision)."""
    connection = core_connection(session)
    revision = statements()["revision"].scalar(connection, {"calendar_id": calendar_id})
    if revision is None:
        raise CalendarNotFoundError(N_("日历 %(calendar)s 不存在"), {"calendar": calendar_id})
    if _is_edited_in_transaction(session, calendar_id):
        return _load_spec(session, calendar_id)  # not committed: this transaction's own view, never shared
    engine = connection.engine
    with _cache_lock:
        entries = _spec_cache.get(engine)
        cached = entries.get(calendar_id) if entries is not None else None
    if cached is not None and cached[0] == revision:
        return cached[1]
    spec = _load_spec(session, calendar_id)
    with _cache_lock:
        _spec_cache.setdefault(engine, {})[calendar_id] = (revision, spec)
    return spec


def _load_spec(session: Session, calendar_id: int) -> rules.CalendarSpec:
    calendar = session.get(Calendar, calendar_id)
    assert calendar is not None
    return build_spec(calendar, session.scalars(select(CalendarDay).where(CalendarDay.calendar_id == calendar.id)))


def _is_edited_in_transaction(session: Session, calendar_id: int) -> bool:
    edited: tuple[SessionTransaction | None, set[int]] | None = session.info.get(_EDITED_KEY)
    return edited is not None and calendar_id in edited[1] and edited[0] is session.get_transaction()


def _revise(session: Session, calendar: Calendar) -> None:
    """Count an edit of the calendar's spec: a new revision, private to this transaction until it ends."""
    calendar.revision += 1
    session.flush()
    transaction = session.get_transaction()
    edited: tuple[SessionTransaction | None, set[int]] | None = session.info.get(_EDITED_KEY)
    if edited is None or edited[0] is not transaction:
        # Calendars an ended transaction edited are committed or rolled back by now: either way the
        # revision in the database is a committed one again.
        edited = (transaction, set())
        session.info[_EDITED_KEY] = edited
    edited[1].add(calendar.id)


def build_spec(calendar: Calendar, days: Iterable[CalendarDay]) -> rules.CalendarSpec:
    """Turn the stored rows into a CalendarSpec."""
    if calendar.kind == CalendarKind.ALWAYS:
        return rules.always_open(calendar.timezone)
    weekly = {
        int(weekday): tuple(rules.parse_interval(text) for text in intervals)
        for weekday, intervals in (calendar.weekly_hours or {}).items()
    }
    overrides = {day.day: tuple(rules.parse_interval(text) for text in day.hours) for day in days}
    known = frozenset(calendar.known_years or ()) if calendar.kind == CalendarKind.STATUTORY else None
    return rules.CalendarSpec(timezone=calendar.timezone, weekly=weekly, overrides=overrides, known_years=known)


def get_calendar(session: Session, code: str) -> Calendar:
    """Look a calendar up by code."""
    calendar = session.scalar(select(Calendar).where(Calendar.code == code))
    if calendar is None:
        raise CalendarNotFoundError(N_("日历 %(calendar)s 不存在"), {"calendar": code}, fields={"calendar": code})
    return calendar


def list_calendars(session: Session) -> list[Calendar]:
    """Every calendar, in the order they were made."""
    return list(session.scalars(select(Calendar).order_by(Calendar.id)).all())


def calendar_days(session: Session, *, calendar_id: int, year: int | None = None) -> list[CalendarDay]:
    """A calendar's holidays and make-up workdays in date order (of one year, when given)."""
    query = select(CalendarDay).where(CalendarDay.calendar_id == calendar_id).order_by(CalendarDay.day)
    if year is not None:
        query = query.where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
    return list(session.scalars(query).all())


def set_calendar_day(session: Session, *, code: str, day: date, hours: Sequence[str], note: str | None) -> CalendarDay:
    """Enter or replace one holiday (no hours) or make-up workday; clears the year's flag once entered."""
    calendar = get_calendar(session, code)
    try:
        parsed = [rules.parse_interval(text) for text in hours]
    except ValueError as error:
        problem = message_of(error)
        raise InvalidCalendarError(problem, fields={"hours": problem}) from error
    row = session.scalar(select(CalendarDay).where(CalendarDay.calendar_id == calendar.id, CalendarDay.day == day))
    if row is None:
        row = CalendarDay(calendar_id=calendar.id, day=day)
        session.add(row)
    row.hours = [rules.format_interval(interval) for interval in parsed]
    row.note = note
    _revise(session, calendar)
    return row


def remove_calendar_day(session: Session, *, code: str, day: date) -> CalendarDay:
    """Take a holiday or make-up workday off a calendar (the weekly rule applies to that date again)."""
    calendar = get_calendar(session, code)
    row = session.scalar(select(CalendarDay).where(CalendarDay.calendar_id == calendar.id, CalendarDay.day == day))
    if row is None:
        raise CalendarDayNotFoundError(
            N_("日历 %(calendar)s 没有登记 %(day)s"), {"calendar": code, "day": day.isoformat()}
        )
    session.delete(row)
    _revise(session, calendar)
    return row


def set_weekly_hours(session: Session, *, code: str, weekly: Mapping[int, Sequence[str]]) -> Calendar:
    """Replace a calendar's opening hours per weekday (0 = Monday; a weekday without hours is closed).

    Field problems are named ``weekday_<n>``; intervals of one day may not overlap."""
    calendar = get_calendar(session, code)
    if calendar.kind == CalendarKind.ALWAYS:
        raise InvalidCalendarError(N_("7×24 日历全天开放，没有工作时间可设"), fields={"calendar": code})
    problems: dict[str, object] = {}
    parsed: dict[int, list[tuple[int, int]]] = {}
    for weekday in range(7):
        try:
            intervals = sorted(rules.parse_interval(text) for text in weekly.get(weekday, ()))
        except ValueError as error:
            problems[f"weekday_{weekday}"] = message_of(error)
            continue
        if any(later[0] < earlier[1] for earlier, later in itertools.pairwise(intervals)):
            problems[f"weekday_{weekday}"] = N_("同一天的时间段不能重叠")
            continue
        parsed[weekday] = intervals
    if problems:
        raise InvalidCalendarError(N_("工作时间有误，请按提示修改"), fields=problems)
    calendar.weekly_hours = {
        str(weekday): [rules.format_interval(interval) for interval in intervals]
        for weekday, intervals in parsed.items()
        if intervals
    }
    _revise(session, calendar)
    return calendar


def mark_year_known(session: Session, *, code: str, year: int) -> Calendar:
    """Declare that a statutory calendar's holidays for ``year`` have been entered."""
    calendar = get_calendar(session, code)
    calendar.known_years = sorted({*(calendar.known_years or []), year})
    calendar.flagged_years = [y for y in (calendar.flagged_years or []) if y != year]
    _revise(session, calendar)
    return calendar


def flag_unknown_years(
    session: Session, calendar_id: int, spec: rules.CalendarSpec, start: datetime, end: datetime
) -> None:
    """Flag the years between ``start`` and ``end`` that the calendar has no holidays for."""
    unknown = rules.unknown_years_between(spec, start, end)
    if unknown:
        flag_years(session, calendar_id, unknown)


def flag_years(session: Session, calendar_id: int, unknown: Iterable[int]) -> None:
    """Record years a computation needed but the calendar has no holidays for (for an admin to fill in)."""
    unknown = set(unknown)
    calendar = session.get(Calendar, calendar_id)
    if calendar is not None and not unknown.issubset(calendar.flagged_years or []):
        # The revision is left alone: the spec itself did not change.
        calendar.flagged_years = sorted({*(calendar.flagged_years or []), *unknown})
