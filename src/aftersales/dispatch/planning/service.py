"""Day plans on the database: build the optimised day for an area (city), keep it (older plans are
superseded, never deleted), assign its tickets, and read plans back (emergencies are inserted by
``emergencies``). Flushes, never commits.

An area's crews are the technicians and partner-provider accounts with a profile whose organisation is
in that city (``inputs``); its jobs are the open installation and repair tickets there that are not on
hold, not already on site, and booked for that day or not booked at all.
"""

from __future__ import annotations

import time as timer
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.models import User
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.i18n import N_
from aftersales.core.timeutil import to_local
from aftersales.customers.models import Address
from aftersales.dispatch.errors import InvalidDispatchInputError, PlanNotFoundError
from aftersales.dispatch.network import rules
from aftersales.dispatch.network import service as dispatch_service
from aftersales.dispatch.planning import inputs
from aftersales.dispatch.planning import rules as planning
from aftersales.dispatch.planning.models import DayPlan, PlanStop
from aftersales.tickets import assignment as tickets_assignment
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import TicketKind, TicketStatus
from aftersales.tickets.models import Ticket

FIELD_KINDS = (TicketKind.INSTALLATION, TicketKind.REPAIR)
PLANNABLE_STATUSES = (TicketStatus.REGISTERED, TicketStatus.IN_PROGRESS)


def _area_tickets(session: Session, area: str) -> list[Ticket]:
    return list(
        session.scalars(
            select(Ticket)
            .join(Address, Address.id == Ticket.address_id)
            .where(
                Ticket.status.in_(PLANNABLE_STATUSES),
                Ticket.kind.in_(FIELD_KINDS),
                Address.city.in_(rules.city_spellings(area)),
            )
            .order_by(Ticket.id)
        ).unique()
    )


def _parse_day(clock: Clock, day: date | None) -> date:
    today = to_local(clock.now()).date()
    day = day or today
    if day < today:
        raise InvalidDispatchInputError(N_("不能为过去的日期制定计划"), fields={"day": day.isoformat()})
    if day > today + timedelta(days=14):
        raise InvalidDispatchInputError(N_("只能提前 14 天制定计划"), fields={"day": day.isoformat()})
    return day


def active_plan(session: Session, *, area: str, day: date, for_update: bool = False) -> DayPlan | None:
    """The current plan of an area and day, if any. ``for_update`` locks it (PostgreSQL) until the
    transaction ends, so two processes never rewrite the same plan's stops at once; SQLite's single
    writer already serialises them."""
    area = rules.canonical_city(area)
    query = (
        select(DayPlan)
        .where(DayPlan.area == area, DayPlan.day == day.isoformat(), DayPlan.status == "active")
        .order_by(DayPlan.id.desc())
    )
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.limit(1).with_for_update()
    return session.scalar(query)


def stops_of(session: Session, plan_id: int) -> list[PlanStop]:
    """A plan's stops by technician and sequence."""
    return list(
        session.scalars(
            select(PlanStop).where(PlanStop.plan_id == plan_id).order_by(PlanStop.technician_id, PlanStop.sequence)
        )
    )


def today_stops_of_technician(session: Session, *, clock: Clock, user_id: int) -> list[PlanStop]:
    """The technician's stops in today's active plans, in order (for the phone view)."""
    today = to_local(clock.now()).date().isoformat()
    return list(
        session.scalars(
            select(PlanStop)
            .join(DayPlan, DayPlan.id == PlanStop.plan_id)
            .where(DayPlan.day == today, DayPlan.status == "active", PlanStop.technician_id == user_id)
            .order_by(PlanStop.sequence)
        )
    )


def write_legs(session: Session, plan: DayPlan, origin: datetime, legs: list[planning.Leg]) -> None:
    """Keep the solved legs as the plan's stops."""
    session.add_all(
        PlanStop(
            plan_id=plan.id,
            technician_id=leg.technician_id,
            ticket_id=leg.stop.ticket_id,
            sequence=leg.sequence,
            arrival_at=origin + timedelta(seconds=leg.arrival),
            departure_at=origin + timedelta(seconds=leg.departure),
            travel_km=leg.km,
            travel_minutes=leg.minutes,
        )
        for leg in legs
    )


def assign_with_note(
    session: Session, *, clock: Clock, actor: Actor, ticket: Ticket, username: str, note: str, data: dict[str, Any]
) -> None:
    """Give the ticket to the crew when it is not theirs yet, and put the decision on the timeline."""
    if (
        ticket.assignee_id is None
        or tickets_assignment.assignee_names(session, {ticket.assignee_id}).get(ticket.assignee_id) != username
    ):
        tickets_service.update_ticket(
            session,
            clock=clock,
            actor=actor,
            ticket_id=ticket.id,
            version=ticket.version,
            assignee_username=username,
            by_hand=False,
        )
    dispatch_service.record_decision(session, clock=clock, actor=actor, ticket=ticket, note=note, data=data)


def new_plan(
    session: Session,
    *,
    area: str,
    day: date,
    now: datetime,
    actor: Actor,
    reason: str,
    jobs: int = 0,
    assigned: int = 0,
    unassigned: list[dict[str, object]] | None = None,
    technicians: int = 0,
    total_km: float = 0.0,
    solve_ms: int = 0,
    fixed: dict[str, str] | None = None,
) -> DayPlan:
    """Write a new active plan with its summary (the stops follow); ``fixed`` names the jobs (ticket id as
    text) that stayed with their assignee and why (``inputs.field_marks``)."""
    plan = DayPlan(
        area=area,
        day=day.isoformat(),
        status="active",
        created_at=now,
        created_by=actor.username,
        reason=reason,
        summary={
            "jobs": jobs,
            "assigned": assigned,
            "unassigned": unassigned or [],
            "technicians": technicians,
            "total_km": total_km,
            "solve_ms": solve_ms,
            "emergencies": [],
            "fixed": fixed or {},
        },
    )
    session.add(plan)
    session.flush()
    return plan


def build_plan(
    session: Session, *, clock: Clock, actor: Actor, area: str, day: date | None = None, seconds: float = 5.0
) -> DayPlan:
    """Optimise the area's day, keep it as the active plan and assign its tickets."""
    area = rules.canonical_city(area)
    if not area:
        raise InvalidDispatchInputError(N_("请指定城市"), fields={"area": "必填"})
    day = _parse_day(clock, day)
    now, origin = clock.now(), inputs.origin_of(day)
    crews, profiles = inputs.crews_of(session, area=area, day=day, now=now)
    if not crews:
        raise InvalidDispatchInputError(N_("%(area)s 当天没有在班的技术员档案"), {"area": area}, fields={"area": area})
    tickets = {ticket.id: ticket for ticket in _area_tickets(session, area)}
    stops, skipped = inputs.stops_for_day(
        session, list(tickets.values()), day=day, origin=origin, now=now, profiles=profiles
    )
    travel = rules.StraightLineTravel(inputs.city_type(profiles))
    started = timer.perf_counter()
    result = planning.plan_day(
        crews, stops, travel=travel, seconds=seconds, not_before=max(0, inputs.offset(origin, now))
    )
    elapsed_ms = round((timer.perf_counter() - started) * 1000)
    # What people decided (a hand assignment) or started stays with its assignee: shown as fixed.
    fixed = {str(ticket_id): why for ticket_id, why in inputs.field_marks(session, list(tickets)).items()}
    previous = active_plan(session, area=area, day=day)
    previously_planned = set()
    if previous is not None:
        previous.status = "superseded"
        previously_planned = {stop.ticket_id for stop in stops_of(session, previous.id)}
    unassigned = [
        {"ticket_id": ticket_id, "number": tickets[ticket_id].number, "reason": reason}
        for ticket_id, reason in sorted({**result.unassigned, **skipped}.items())
    ]
    plan = new_plan(
        session,
        area=area,
        day=day,
        now=now,
        actor=actor,
        reason="plan",
        jobs=len(stops) + len(skipped),
        assigned=len(result.legs),
        unassigned=unassigned,
        technicians=len(crews),
        total_km=result.total_km,
        solve_ms=elapsed_ms,
        fixed=fixed,
    )
    write_legs(session, plan, origin, result.legs)
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="day_plan.built",
        entity_type="day_plan",
        entity_id=plan.id,
        after={
            "area": area,
            "day": day.isoformat(),
            "jobs": plan.summary["jobs"],
            "assigned": plan.summary["assigned"],
            "superseded_plan_id": previous.id if previous is not None else None,
        },
    )
    names = {crew.user_id: crew.username for crew in crews}
    for leg in result.legs:
        ticket = tickets[leg.stop.ticket_id]
        owner = names[leg.technician_id]
        if ticket.assignee_id == leg.technician_id and ticket.id in previously_planned:
            continue
        eta = to_local(origin + timedelta(seconds=leg.arrival))
        assign_with_note(
            session,
            clock=clock,
            actor=actor,
            ticket=ticket,
            username=owner,
            note=f"{day:%m月%d日}计划：{owner} 第 {leg.sequence} 站，预计 {eta:%H:%M} 到达",
            data={
                "plan_id": plan.id,
                "technician": owner,
                "sequence": leg.sequence,
                "eta": eta.isoformat(),
                "note_key": "dispatch.planned",
                "note_params": {
                    "day": {"key": "date.month_day", "params": {"month": f"{day:%m}", "day": f"{day:%d}"}},
                    "technician": owner,
                    "sequence": leg.sequence,
                    "eta": f"{eta:%H:%M}",
                },
            },
        )
    session.flush()
    return plan


@dataclass(frozen=True)
class RouteView:
    """One technician's ordered stops in a plan, for the board, the phone view and the API."""

    technician_id: int
    username: str
    display_name: str
    stops: list[tuple[PlanStop, Ticket]]

    @property
    def total_km(self) -> float:
        return round(sum(stop.travel_km for stop, _ in self.stops), 2)


def plan_routes(session: Session, plan: DayPlan) -> list[RouteView]:
    """The plan's routes with their tickets, technicians in name order."""
    rows = stops_of(session, plan.id)
    tickets = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_({r.ticket_id for r in rows})))}
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_({r.technician_id for r in rows})))}
    routes: dict[int, RouteView] = {}
    for row in rows:
        user = users[row.technician_id]
        view = routes.setdefault(user.id, RouteView(user.id, user.username, user.display_name, []))
        view.stops.append((row, tickets[row.ticket_id]))
    return sorted(routes.values(), key=lambda view: view.username)


def get_plan(session: Session, *, area: str, day: date) -> DayPlan:
    """The active plan of an area and day, or PlanNotFoundError."""
    plan = active_plan(session, area=area, day=day)
    if plan is None:
        raise PlanNotFoundError(N_("%(area)s %(day)s 还没有日计划"), {"area": area, "day": day.isoformat()})
    return plan
