"""The calendars pages: weekly hours, holidays and make-up workdays (调休), and entered years."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from aftersales.core.clock import Clock
from aftersales.core.errors import DomainError, InvalidInputError
from aftersales.core.i18n import N_
from aftersales.core.timeutil import to_local
from aftersales.sla import service as sla_service
from aftersales.sla.console.common import DAY_KINDS, Admin, clip, labels
from aftersales.sla.enums import CalendarKind
from aftersales.sla.models import Calendar
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.messages import domain_message, field_messages
from aftersales.web.pages import form_errors, redirect
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console/sla")
MAX_TEXT = 100


@router.get("/calendars")
def calendars(request: Request, session: SessionDep, signed: Admin) -> Response:
    """Every calendar: its kind, hours, how many dates it overrides, and years waiting for holidays."""
    found = sla_service.list_calendars(session)
    counts = {calendar.id: len(sla_service.calendar_days(session, calendar_id=calendar.id)) for calendar in found}
    context = labels() | {"calendars": found, "counts": counts, "policies": sla_service.list_policies(session)}
    return render(request, "sla/calendars.html", context)


def _calendar_page(
    request: Request,
    session: Session,
    clock: Clock,
    code: str,
    *,
    year: int | None = None,
    hours: Mapping[str, str] | None = None,
    day: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
    done: str | None = None,
    status: int = 200,
) -> Response:
    calendar = sla_service.get_calendar(session, code)
    this_year = to_local(clock.now()).year
    shown_year = year if year is not None and 2000 <= year <= 2100 else this_year
    weekly = calendar.weekly_hours or {}
    context = labels() | {
        "calendar": calendar,
        "is_always": calendar.kind == CalendarKind.ALWAYS,
        "is_statutory": calendar.kind == CalendarKind.STATUTORY,
        "year": shown_year,
        "years": sorted({this_year - 1, this_year, this_year + 1, shown_year}),
        "days": sla_service.calendar_days(session, calendar_id=calendar.id, year=shown_year),
        "hours": hours or {f"weekday_{d}": ", ".join(weekly.get(str(d), [])) for d in range(7)},
        "day": day or {"kind": "holiday", "hours": ", ".join(calendar.workday_hours or []), "date": "", "note": ""},
        "errors": errors or {},
        "message": message,
        "done": done,
        "unknown_year": _unknown_year(calendar, shown_year),
    }
    return render(request, "sla/calendar.html", context, status_code=status)


def _unknown_year(calendar: Calendar, year: int) -> bool:
    """A statutory calendar without the year's holidays (it falls back to the weekly rule there)."""
    return calendar.kind == CalendarKind.STATUTORY and year not in (calendar.known_years or [])


DONE = {
    "hours": N_("工作时间已保存"),
    "day": N_("日期已登记"),
    "removed": N_("日期已删除"),
    "year": N_("已标记该年节假日录入完成"),
}


@router.get("/calendars/{calendar_code}")
def calendar_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Admin,
    calendar_code: str,
    year: Annotated[int | None, Query(ge=1, le=9999)] = None,
) -> Response:
    """One calendar: its weekly hours, the dates of a year it overrides, and the forms that change them."""
    done = DONE.get(clip(request.query_params.get("done")))
    return _calendar_page(request, session, clock, calendar_code, year=year, done=done)


def _intervals(text: str) -> list[str]:
    """'08:00-12:00, 13:00-18:00' → ['08:00-12:00', '13:00-18:00'] (full-width commas and blanks too)."""
    return [
        part.strip() for part in text.replace("，", ",").replace("；", ",").replace(";", ",").split(",") if part.strip()
    ]


def _refused(
    request: Request, session: Session, clock: Clock, code: str, *, year: int | None = None, **typed: Any
) -> Any:
    """The calendar page drawn again with the error's message and fields, and what was typed."""
    _ = gettext_for(request)

    def redraw(error: DomainError, status: int) -> Response:
        errors = field_messages(error, _) if isinstance(error, InvalidInputError) else {}
        message = domain_message(error, _)
        return _calendar_page(
            request, session, clock, code, year=year, errors=errors, message=message, status=status, **typed
        )

    return redraw


@router.post("/calendars/{calendar_code}/hours")
async def save_hours(
    request: Request, session: SessionDep, clock: ClockDep, signed: Admin, calendar_code: str
) -> Response:
    """Replace the calendar's hours per weekday (blank: closed that day)."""
    sla_service.get_calendar(session, calendar_code)
    form = await request.form()
    hours = {f"weekday_{d}": clip(form.get(f"weekday_{d}"), MAX_TEXT) for d in range(7)}
    revision = clip(form.get("revision"))
    with form_errors(request, session, _refused(request, session, clock, calendar_code, hours=hours)):
        sla_service.change_weekly_hours(
            session,
            clock=clock,
            actor=signed.actor,
            code=calendar_code,
            weekly={d: _intervals(hours[f"weekday_{d}"]) for d in range(7)},
            expected_revision=int(revision) if revision.isdigit() else None,
        )
    commit(session)
    return redirect(request, f"/console/sla/calendars/{calendar_code}?done=hours")


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@router.post("/calendars/{calendar_code}/days")
async def save_day(
    request: Request, session: SessionDep, clock: ClockDep, signed: Admin, calendar_code: str
) -> Response:
    """Enter a holiday or a make-up workday (调休) on the calendar; a date entered before is replaced."""
    _ = gettext_for(request)
    sla_service.get_calendar(session, calendar_code)
    form = await request.form()
    day = {name: clip(form.get(name), MAX_TEXT) for name in ("date", "kind", "hours", "note")}
    parsed = _date(day["date"])
    hours = _intervals(day["hours"]) if day["kind"] == "workday" else []
    redraw = _refused(request, session, clock, calendar_code, year=parsed.year if parsed else None, day=day)
    with form_errors(request, session, redraw):
        problems: dict[str, object] = {}
        if parsed is None:
            problems["date"] = N_("日期格式应为 年-月-日")
        if day["kind"] not in DAY_KINDS:
            problems["kind"] = N_("请选择节假日或调休上班")
        elif day["kind"] == "workday" and not hours:
            problems["hours"] = N_("调休上班请填写工作时间，如 09:00-18:00")
        if problems or parsed is None:
            raise InvalidInputError(N_("日期登记有误，请按提示修改"), code="sla.invalid_calendar", fields=problems)
        try:
            sla_service.enter_day(
                session, clock=clock, actor=signed.actor, code=calendar_code, day=parsed, hours=hours,
                note=day["note"] or None,
            )  # fmt: skip
        except InvalidInputError as error:
            # The service names the day's hours "hours" and its date "day": the form calls it "date".
            if "day" in error.fields:
                error.fields["date"] = error.fields.pop("day")
            raise
    commit(session)
    return redirect(request, f"/console/sla/calendars/{calendar_code}?year={parsed.year}&done=day")


@router.post("/calendars/{calendar_code}/days/remove")
async def remove_day(
    request: Request, session: SessionDep, clock: ClockDep, signed: Admin, calendar_code: str
) -> Response:
    """Take a date off the calendar: the weekly rule applies to it again."""
    sla_service.get_calendar(session, calendar_code)
    form = await request.form()
    parsed = _date(clip(form.get("date")))
    with form_errors(request, session, _refused(request, session, clock, calendar_code)):
        if parsed is None:
            raise InvalidInputError(N_("日期格式应为 年-月-日"), code="sla.invalid_calendar")
        sla_service.remove_day(session, clock=clock, actor=signed.actor, code=calendar_code, day=parsed)
    commit(session)
    return redirect(request, f"/console/sla/calendars/{calendar_code}?year={parsed.year}&done=removed")


@router.post("/calendars/{calendar_code}/years")
async def enter_year(
    request: Request, session: SessionDep, clock: ClockDep, signed: Admin, calendar_code: str
) -> Response:
    """Declare a year's holidays entered on a statutory calendar: its warning flag is cleared."""
    sla_service.get_calendar(session, calendar_code)
    form = await request.form()
    text = clip(form.get("year"))
    year = int(text) if text.isdigit() and len(text) == 4 else None
    with form_errors(request, session, _refused(request, session, clock, calendar_code, year=year)):
        if year is None:
            problem = N_("请填写四位年份")
            raise InvalidInputError(problem, code="sla.invalid_calendar", fields={"year": problem})
        sla_service.enter_year(session, clock=clock, actor=signed.actor, code=calendar_code, year=year)
    commit(session)
    return redirect(request, f"/console/sla/calendars/{calendar_code}?year={year}&done=year")
