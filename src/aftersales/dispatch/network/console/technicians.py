"""Technicians of the service network: the list (by service point) and a technician's profile — the point
they work from, skills (product line × job kind), home base, shift, lunch break, days off, daily
capacity, certificates, van, and whether the account is active. One save is one unit of work: moving to
another point, the profile and the account's state are audited as separate entries."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.models import User
from aftersales.core.errors import DomainError, InvalidInputError
from aftersales.core.i18n import N_
from aftersales.dispatch.network import directory
from aftersales.dispatch.network.console.common import (
    GRID_KINDS,
    GRID_LINES,
    Admin,
    clip,
    labels,
    number,
    service_fields,
    words,
)
from aftersales.dispatch.network.models import Technician
from aftersales.dispatch.network.schemas import TechnicianWrite
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.forms import pydantic_fields
from aftersales.web.messages import domain_message
from aftersales.web.pages import form_errors, redirect
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console/network/technicians")
TIMES = ("shift_start", "shift_end", "break_start", "break_end")
# The service's field names → the form's.
ALIASES = {"home": "longitude", "shift": "shift_start", "lunch_break": "break_start"}
MAX_DAYS_OFF = 60
MAX_CERTIFICATES = 20


@router.get("")
def technicians(
    request: Request, session: SessionDep, signed: Admin, point: Annotated[str, Query(max_length=64)] = ""
) -> Response:
    """Technicians and providers' users with their profiles, of one service point or of all."""
    rows = directory.list_points(session)
    chosen = next((row for row in rows if row.organisation.code == point), None)
    people = directory.field_users(session, organisation_id=chosen.organisation.id if chosen else None)
    context = labels() | {"rows": rows, "point": chosen.organisation.code if chosen else "", "people": people}
    return render(request, "network/technicians.html", context)


def _profile_values(user: User, profile: Technician | None, point: Any) -> dict[str, Any]:
    """The stored profile as the form's values; a new one starts at the point, on the default shift."""
    values: dict[str, Any] = {
        "point": user.organisation.code if user.organisation is not None else "",
        "active": user.is_active,
    }
    if profile is None:
        home = (str(point.longitude), str(point.latitude)) if point is not None else ("", "")
        blank = dict.fromkeys(("break_start", "break_end", "days_off", "certificates", "van_code"), "")
        return (
            values
            | blank
            | {
                "skills": [],
                "longitude": home[0],
                "latitude": home[1],
                "shift_start": "08:00",
                "shift_end": "18:00",
                "max_jobs_per_day": "8",
            }
        )
    return values | {
        "skills": list(profile.skills or []),
        "longitude": str(profile.home_longitude),
        "latitude": str(profile.home_latitude),
        "shift_start": profile.shift_start,
        "shift_end": profile.shift_end,
        "break_start": profile.break_start or "",
        "break_end": profile.break_end or "",
        "days_off": " ".join(profile.days_off or []),
        "max_jobs_per_day": str(profile.max_jobs_per_day),
        "certificates": "，".join(profile.certificates or []),
        "van_code": profile.van_code or "",
    }


def _page(
    request: Request,
    session: Session,
    username: str,
    *,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    user, profile = directory.field_user(session, username)
    rows = directory.list_points(session)
    point = next((row.point for row in rows if row.organisation.id == user.organisation_id), None)
    shown = values if values is not None else _profile_values(user, profile, point)
    grid = {f"{line}:{kind}" for line in GRID_LINES for kind in GRID_KINDS}
    context = labels() | {
        "user": user,
        "profile": profile,
        "rows": rows,
        "point": point,
        "values": shown,
        "extra_skills": [skill for skill in shown.get("skills", []) if skill not in grid],
        "errors": errors or {},
        "message": message,
        "saved": request.query_params.get("saved") == "1",
    }
    return render(request, "network/technician.html", context, status_code=status)


@router.get("/{username}")
def technician_page(request: Request, session: SessionDep, signed: Admin, username: str) -> Response:
    """A technician's profile as a form (a new profile when they have none yet)."""
    return _page(request, session, username)


def _body(values: dict[str, Any], errors: dict[str, str], _: Any) -> TechnicianWrite | None:
    """The typed profile as the service's input, or None with ``errors`` saying what is wrong with it."""
    longitude, latitude = number(values["longitude"]), number(values["latitude"])
    if longitude is None or latitude is None:
        errors["longitude"] = _("经度和纬度都请填写数字")
    if not values["skills"]:
        errors["skills"] = _("请至少选择一项技能")
    days: list[date] = []
    for text in words(values["days_off"])[: MAX_DAYS_OFF + 1]:
        try:
            days.append(date.fromisoformat(text))
        except ValueError:
            errors["days_off"] = _("休息日格式应为 年-月-日，多个用空格或逗号分隔")
    if len(days) > MAX_DAYS_OFF:
        errors["days_off"] = _("休息日最多登记 60 天")
    jobs = values["max_jobs_per_day"]
    if not jobs.isdigit() or not 1 <= int(jobs) <= 50:
        errors["max_jobs_per_day"] = _("每日最多接单数应在 1 到 50 之间")
    certificates = words(values["certificates"])
    if len(certificates) > MAX_CERTIFICATES:
        errors["certificates"] = _("证书最多登记 20 项")
    if len(values["van_code"]) > 32:
        errors["van_code"] = _("车辆编号不能超过 32 个字")
    if errors or longitude is None or latitude is None:
        return None
    try:
        return TechnicianWrite(
            longitude=longitude,
            latitude=latitude,
            skills=values["skills"],
            shift_start=values["shift_start"],
            shift_end=values["shift_end"],
            days_off=sorted(set(days)),
            max_jobs_per_day=int(jobs),
            break_start=values["break_start"] or None,
            break_end=values["break_end"] or None,
            certificates=certificates,
            van_code=values["van_code"] or None,
        )
    except ValidationError as error:
        errors.update(pydantic_fields(error, _))
        return None


@router.post("/{username}")
async def save_technician(
    request: Request, session: SessionDep, clock: ClockDep, signed: Admin, username: str
) -> Response:
    """Save a technician's point, profile and account state together (each change audited)."""
    _ = gettext_for(request)
    user, _profile = directory.field_user(session, username)
    form = await request.form()
    values: dict[str, Any] = {name: clip(form.get(name), 600) for name in ("days_off", "certificates")}
    values |= {name: clip(form.get(name), 40) for name in ("point", "longitude", "latitude", "max_jobs_per_day")}
    values |= {name: clip(form.get(name), 5) for name in TIMES}
    values["van_code"] = clip(form.get("van_code"), 40)
    values["skills"] = list(dict.fromkeys(clip(skill, 40) for skill in form.getlist("skills")))[:40]
    values["active"] = form.get("active") == "1"
    typed: dict[str, str] = {}
    points = {row.organisation.code for row in directory.list_points(session)}
    if values["point"] not in points:
        typed["point"] = _("请选择所属网点")
    body = _body(values, typed, _)

    def redraw(error: DomainError, status: int) -> Response:
        errors = dict(typed)
        if isinstance(error, InvalidInputError):
            errors |= service_fields(error, _, ALIASES)
        message = domain_message(error, _)
        return _page(request, session, username, values=values, errors=errors, message=message, status=status)

    with form_errors(request, session, redraw):
        if typed or body is None:
            raise InvalidInputError(N_("技术员档案有误，请按提示修改"), code="dispatch.invalid")
        directory.assign_to_point(
            session, clock=clock, actor=signed.actor, username=username, organisation_code=values["point"]
        )
        directory.save_technician(session, clock=clock, actor=signed.actor, username=username, body=body)
        if values["active"] != user.is_active:
            accounts_service.set_active(
                session, clock=clock, actor=signed.actor, username=username, active=values["active"]
            )
    commit(session)
    return redirect(request, f"/console/network/technicians/{username}?saved=1")
