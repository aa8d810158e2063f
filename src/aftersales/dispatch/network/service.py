"""Dispatch use cases: service network profiles, candidates for a ticket, auto-dispatch with the reason
on the timeline. Flushes, never commits."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import User
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.i18n import N_, Message, message_of
from aftersales.core.timeutil import to_local
from aftersales.dispatch.enums import EVENT_OWNER, DispatchEventType
from aftersales.dispatch.errors import InvalidDispatchInputError
from aftersales.dispatch.network import rules
from aftersales.dispatch.network.models import ServicePoint, Technician
from aftersales.sla.enums import TargetKind
from aftersales.tickets import events as ticket_events
from aftersales.tickets import service as tickets_service
from aftersales.tickets.models import Ticket
from aftersales.tickets.rules import OPEN_STATUSES

ticket_events.register_event_types(EVENT_OWNER, DispatchEventType)

_SKILL = re.compile(r"^(\*|lock|tablet|watch|purifier|airer|any):(repair|installation|consultation|complaint)$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _point(longitude: float | None, latitude: float | None, field: str) -> tuple[float, float]:
    try:
        return rules.validate_point(longitude, latitude)
    except ValueError as error:
        problem = message_of(error)
        raise InvalidDispatchInputError(problem, fields={field: problem}) from None


def set_service_point(
    session: Session,
    *,
    organisation_id: int,
    kind: str,
    longitude: float,
    latitude: float,
    adcodes: list[str] | None = None,
    radius_km: float | None = None,
    capacity_per_day: int = 50,
    city_type: str = "urban",
    opens: str = "08:00",
    closes: str = "20:00",
) -> ServicePoint:
    """Create or replace an organisation's service point (where, which area, how much, when open)."""
    _point(longitude, latitude, "longitude")
    if kind not in {"hq_tech_center", "regional_provider", "quick_repair_point", "service_center"}:
        raise InvalidDispatchInputError(N_("未知的网点类型 %(kind)s"), {"kind": kind}, fields={"kind": kind})
    if not adcodes and not radius_km:
        raise InvalidDispatchInputError(
            N_("服务区域需要区县编码或服务半径"), fields={"adcodes": "需要区县编码或服务半径"}
        )
    if city_type not in rules.SPEED_KMH:
        raise InvalidDispatchInputError(
            N_("未知的城市类型 %(city_type)s"), {"city_type": city_type}, fields={"city_type": city_type}
        )
    if not (_HHMM.match(opens) and _HHMM.match(closes)) or opens >= closes:
        raise InvalidDispatchInputError(
            N_("营业时间应为 HH:MM-HH:MM 且开始早于结束"), fields={"opens": opens, "closes": closes}
        )
    if capacity_per_day < 1:
        raise InvalidDispatchInputError(N_("每日接单能力至少为 1"), fields={"capacity_per_day": capacity_per_day})
    point = session.get(ServicePoint, organisation_id) or ServicePoint(organisation_id=organisation_id)
    point.opens, point.closes = opens, closes
    point.kind, point.longitude, point.latitude = kind, longitude, latitude
    point.adcodes, point.radius_km, point.capacity_per_day, point.city_type = (
        list(adcodes or []),
        radius_km,
        capacity_per_day,
        city_type,
    )
    session.add(point)
    session.flush()
    return point


def set_technician(
    session: Session,
    *,
    user_id: int,
    longitude: float,
    latitude: float,
    skills: list[str],
    shift: tuple[str, str] = ("08:00", "18:00"),
    days_off: list[date] | None = None,
    max_jobs_per_day: int = 8,
    lunch_break: tuple[str, str] | None = None,
    certificates: list[str] | None = None,
    van_code: str | None = None,
) -> Technician:
    """Create or replace a technician profile; bad coordinates, skills, shifts or breaks are refused."""
    _point(longitude, latitude, "home")
    bad = [skill for skill in skills if not _SKILL.match(skill)]
    if bad or not skills:
        skills_given = ", ".join(bad) if bad else Message(N_("为空"))
        raise InvalidDispatchInputError(
            N_("技能格式应为 产品线:类型，如 lock:repair（%(skills)s）"),
            {"skills": skills_given},
            fields={"skills": bad},
        )
    if not all(_HHMM.match(value) for value in shift) or shift[0] >= shift[1]:
        raise InvalidDispatchInputError(N_("班次应为 HH:MM-HH:MM 且开始早于结束"), fields={"shift": list(shift)})
    if not 1 <= max_jobs_per_day <= 50:
        raise InvalidDispatchInputError(
            N_("每日最多接单数应在 1 到 50 之间"), fields={"max_jobs_per_day": max_jobs_per_day}
        )
    if lunch_break is not None and (
        not all(_HHMM.match(value) for value in lunch_break)
        or not shift[0] <= lunch_break[0] < lunch_break[1] <= shift[1]
    ):
        raise InvalidDispatchInputError(
            N_("午休应为 HH:MM-HH:MM，且在班次之内"), fields={"lunch_break": list(lunch_break)}
        )
    cleaned = [item.strip() for item in certificates or [] if item.strip()]
    if any(len(item) > 64 for item in cleaned):
        raise InvalidDispatchInputError(N_("证书名称不能超过 64 个字"), fields={"certificates": cleaned})
    profile = session.get(Technician, user_id) or Technician(user_id=user_id)
    profile.break_start, profile.break_end = lunch_break if lunch_break is not None else (None, None)
    profile.certificates = cleaned
    profile.van_code = (van_code or "").strip() or None
    profile.home_longitude, profile.home_latitude = longitude, latitude
    profile.skills, profile.shift_start, profile.shift_end = list(skills), shift[0], shift[1]
    profile.days_off = [day.isoformat() for day in days_off or []]
    profile.max_jobs_per_day = max_jobs_per_day
    session.add(profile)
    session.flush()
    return profile


def _view(
    session: Session, profile: Technician, user: User, point: ServicePoint | None, load: int, point_load: int = 0
) -> rules.TechnicianView:
    position = (
        (profile.last_longitude, profile.last_latitude)
        if profile.last_longitude is not None and profile.last_latitude is not None
        else (profile.home_longitude, profile.home_latitude)
    )
    return rules.TechnicianView(
        user_id=user.id,
        username=user.username,
        skills=frozenset(profile.skills),
        position=position,
        shift_start=time.fromisoformat(profile.shift_start),
        shift_end=time.fromisoformat(profile.shift_end),
        days_off=frozenset(date.fromisoformat(day) for day in profile.days_off),
        max_jobs=profile.max_jobs_per_day,
        jobs_today=load,
        area_adcodes=frozenset(point.adcodes) if point else frozenset(),
        area_center=(point.longitude, point.latitude) if point else None,
        area_radius_km=point.radius_km if point else None,
        is_provider=user.role == Role.PROVIDER,
        point_hours=(time.fromisoformat(point.opens), time.fromisoformat(point.closes)) if point else None,
        point_load=point_load,
        point_capacity=point.capacity_per_day if point else None,
    )


@dataclass(frozen=True)
class Candidate:
    username: str
    eligible: bool
    reason: str
    eta_minutes: float
    km: float
    is_provider: bool
    reason_note: dict[str, Any]  # the reason as a timeline note: {"key": ..., "params": ...}


def candidates(
    session: Session, *, clock: Clock, actor: Actor, ticket_id: int, pending: Mapping[str, int] | None = None
) -> list[Candidate]:
    """Every profiled technician judged for the ticket, best first (ineligible ones with the reason).

    ``pending``: jobs given to technicians (by username) by decisions not yet written, counted in their
    loads and their service points' loads (the dispatch job judges a batch before writing it)."""
    ticket = tickets_service.get_ticket(session, ticket_id, actor=actor)
    address = ticket.address
    if address is None:
        raise InvalidDispatchInputError(N_("工单没有地址，无法派单"), fields={"address": "缺少地址"})
    position = _point(address.longitude, address.latitude, "address")
    onsite = next((t for t in ticket.sla_targets if t.kind == TargetKind.ONSITE and t.met_at is None), None)
    job = rules.JobView(
        kind=str(ticket.kind),
        product_model=ticket.product_model,
        adcode=address.adcode,
        position=position,
        onsite_due_at=onsite.due_at if onsite is not None else None,
    )
    rows = session.execute(
        select(Technician, User, ServicePoint)
        .join(User, User.id == Technician.user_id)
        .outerjoin(ServicePoint, ServicePoint.organisation_id == User.organisation_id)
        .where(User.is_active.is_(True))
    ).all()
    # Open loads of these technicians and their service points only (indexed lookups), not of every
    # open ticket: the count stays the same size however many tickets the system holds.
    loads = dict(
        session.execute(
            select(Ticket.assignee_id, func.count())
            .where(Ticket.assignee_id.in_([user.id for _, user, _ in rows]), Ticket.status.in_(OPEN_STATUSES))
            .group_by(Ticket.assignee_id)
        ).all()
    )
    point_organisations = {point.organisation_id for _, _, point in rows if point is not None}
    organisation_loads = dict(
        session.execute(
            select(Ticket.organisation_id, func.count())
            .where(Ticket.organisation_id.in_(point_organisations), Ticket.status.in_(OPEN_STATUSES))
            .group_by(Ticket.organisation_id)
        ).all()
    )
    pending = pending or {}
    pending_by_organisation = Counter[int | None]()
    for _, user, _ in rows:
        pending_by_organisation[user.organisation_id] += pending.get(user.username, 0)
    now = clock.now()
    judged = []
    for profile, user, point in rows:
        view = _view(
            session,
            profile,
            user,
            point,
            int(loads.get(user.id, 0)) + pending.get(user.username, 0),
            int(organisation_loads.get(user.organisation_id, 0)) + pending_by_organisation[user.organisation_id],
        )
        travel = rules.StraightLineTravel(point.city_type if point else "urban")
        judged.append(
            (view, rules.judge(view, job, now_local=to_local(now).replace(tzinfo=None), now_utc=now, travel=travel))
        )
    return [
        Candidate(
            view.username,
            verdict.eligible,
            verdict.reason,
            round(verdict.eta_minutes, 1),
            round(verdict.km, 2),
            view.is_provider,
            verdict.reason_note,
        )
        for view, verdict in rules.rank(judged)
    ]


@dataclass(frozen=True)
class DispatchResult:
    assigned_to: str | None
    reason: str
    candidates: list[Candidate]


def auto_dispatch(
    session: Session, *, clock: Clock, actor: Actor, ticket_id: int, found: list[Candidate] | None = None
) -> DispatchResult:
    """Give the ticket to the best eligible technician (a provider when no in-house one fits);
    otherwise leave it in the dispatcher queue. The reason goes on the ticket either way.

    ``found``: the candidates as judged a moment ago in a read-only transaction (the dispatch job judges
    outside its write transaction, so SQLite's single writer is held only for the assignment)."""
    if found is None:
        found = candidates(session, clock=clock, actor=actor, ticket_id=ticket_id)
    best = next((candidate for candidate in found if candidate.eligible), None)
    ticket = tickets_service.get_ticket(session, ticket_id, actor=actor)
    if best is None:
        reasons = "；".join(f"{c.username}：{c.reason}" for c in found[:5]) or "没有登记技术员档案"
        note = f"自动派单未找到合适人选，转调度台：{reasons}"
        why: dict[str, Any] = (
            {"join": "；", "items": [_candidate_note(c) for c in found[:5]]}
            if found
            else {"key": "dispatch.no_technicians"}
        )
        record_decision(
            session,
            clock=clock,
            actor=actor,
            ticket=ticket,
            note=note,
            data={
                "assigned_to": None,
                "candidates": _top(found),
                "note_key": "dispatch.nobody_fits",
                "note_params": {"reasons": why},
            },
        )
        return DispatchResult(None, note, found)
    tickets_service.update_ticket(
        session,
        clock=clock,
        actor=actor,
        ticket_id=ticket_id,
        version=ticket.version,
        assignee_username=best.username,
        by_hand=False,
    )
    note = f"自动派单给 {best.username}{'（合作服务商）' if best.is_provider else ''}：{best.reason}，距离约 {best.km} 公里"
    record_decision(
        session,
        clock=clock,
        actor=actor,
        ticket=ticket,
        note=note,
        data={
            "assigned_to": best.username,
            "candidates": _top(found),
            "note_key": "dispatch.assigned_to_provider" if best.is_provider else "dispatch.assigned",
            "note_params": {"username": best.username, "reason": best.reason_note, "km": best.km},
        },
    )
    return DispatchResult(best.username, note, found)


def record_decision(
    session: Session, *, clock: Clock, actor: Actor, ticket: Ticket, note: str, data: dict[str, object]
) -> None:
    """A dispatch decision (who, or why nobody) as a ``dispatch`` event on the ticket's timeline."""
    tickets_service.record_event(
        session, clock=clock, actor=actor, ticket=ticket, event_type=DispatchEventType.DISPATCH, note=note, data=data
    )
    session.flush()


def _candidate_note(candidate: Candidate) -> dict[str, Any]:
    """One candidate and why not (``tech_a：不在班``) as a part of a timeline note."""
    return {"key": "dispatch.candidate", "params": {"username": candidate.username, "reason": candidate.reason_note}}


def _top(found: list[Candidate]) -> list[dict[str, object]]:
    """The first five candidates as the timeline keeps them (who, whether eligible, why)."""
    return [
        {"username": c.username, "eligible": c.eligible, "reason": c.reason, "eta_minutes": c.eta_minutes}
        for c in found[:5]
    ]
