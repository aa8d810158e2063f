"""The seeded calendars and policies (DESIGN.md §1), loaded by ``aftersales db upgrade`` and the demo."""

from __future__ import annotations

import warnings
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.sla.enums import CalendarKind
from aftersales.sla.models import Calendar, CalendarDay, Policy

SERVICE_HOURS = ["08:00-20:00"]
OFFICE_HOURS = ["09:00-18:00"]
STATUTORY_YEARS = range(2020, 2031)

DEFAULT_POLICIES = [
    # priority, calendar, first contact, on site, resolution (minutes of the calendar's open time)
    ("urgent", "7x24", 30, 120, 24 * 60),
    ("routine", "service_hours", 12 * 60, None, 24 * 60),
    ("complex", "service_hours", 12 * 60, None, 48 * 60),
]


def statutory_days(years: range) -> tuple[dict[date, tuple[list[str], str]], list[int]]:
    """Holidays and make-up workdays from chinese-calendar, and the years it actually knows."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import chinese_calendar

    overrides: dict[date, tuple[list[str], str]] = {}
    known: list[int] = []
    for year in years:
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
        except NotImplementedError:
            continue
        known.append(year)
        day = date(year, 1, 1)
        while day.year == year:
            is_workday = chinese_calendar.is_workday(day)
            if day.weekday() < 5 and not is_workday:
                _, name = chinese_calendar.get_holiday_detail(day)
                overrides[day] = ([], str(name or "holiday"))
            elif day.weekday() >= 5 and is_workday:
                overrides[day] = (OFFICE_HOURS, "make-up workday 调休")
            day += timedelta(days=1)
    return overrides, known


def seed_defaults(session: Session) -> None:
    """Create the default calendars and policies if they are missing (idempotent; never overwrites)."""
    existing = set(session.scalars(select(Calendar.code)).all())
    if "7x24" not in existing:
        session.add(
            Calendar(
                code="7x24",
                name="7×24 小时",
                kind=CalendarKind.ALWAYS,
                weekly_hours={},
                workday_hours=[],
                flagged_years=[],
            )
        )
    if "service_hours" not in existing:
        session.add(
            Calendar(
                code="service_hours",
                name="服务时间 08:00–20:00（每天）",
                kind=CalendarKind.WEEKLY,
                weekly_hours={str(d): SERVICE_HOURS for d in range(7)},
                workday_hours=SERVICE_HOURS,
                flagged_years=[],
            )
        )
    if "statutory" not in existing:
        overrides, known = statutory_days(STATUTORY_YEARS)
        calendar = Calendar(
            code="statutory",
            name="法定工作日 09:00–18:00",
            kind=CalendarKind.STATUTORY,
            weekly_hours={str(d): OFFICE_HOURS for d in range(5)},
            workday_hours=OFFICE_HOURS,
            known_years=known,
            flagged_years=[],
        )
        session.add(calendar)
        session.flush()
        session.add_all(
            CalendarDay(calendar_id=calendar.id, day=day, hours=hours, note=note)
            for day, (hours, note) in sorted(overrides.items())
        )
    session.flush()
    calendars = {c.code: c.id for c in session.scalars(select(Calendar))}
    priorities = set(session.scalars(select(Policy.priority)).all())
    for priority, calendar_code, first, onsite, resolution in DEFAULT_POLICIES:
        if priority not in priorities:
            session.add(
                Policy(
                    priority=priority,
                    calendar_id=calendars[calendar_code],
                    first_response_minutes=first,
                    onsite_minutes=onsite,
                    resolution_minutes=resolution,
                    onsite_kinds=["installation", "repair"],
                    warning_ratio=0.8,
                )
            )
    session.flush()
