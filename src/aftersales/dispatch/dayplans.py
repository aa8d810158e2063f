"""Day plans on the database: build the optimised day for an area (city), keep it (older plans are
superseded, never deleted), assign its tickets, and insert emergencies into it. Flushes, never commits.

An area's crews are the technicians and partner-provider accounts with a profile whose organisation is
in that city; its jobs are the open installation and repair tickets there that are not on hold, not
already on site, and booked for that day or not booked at all.
"""

from __future__ import annotations

import time as timer
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.enums import Role
from aftersales.accounts.models import Organisation, User
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.timeutil import SHANGHAI, to_local
from aftersales.customers.models import Address
from aftersales.dispatch import planning, rules
from aftersales.dispatch.errors import InvalidDispatchInputError, PlanNotFoundError
from aftersales.dispatch.models import Appointment, DayPlan, PlanStop, ServicePoint, Technician
from aftersales.notifications import service as notifications_service
from aftersales.sla.enums import TargetKind
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import EventType, Priority, TicketKind, TicketStatus
from aftersales.tickets.models import Ticket, TicketEvent

FIELD_KINDS = (TicketKind.INSTALLATION, TicketKind.REPAIR)
PLANNABLE_STATUSES = (TicketStatus.REGISTERED, TicketStatus.IN_PROGRESS)
PRIORITY_WEIGHT = {Priority.URGENT: planning.URGENT_PRIORITY, Priority.COMPLEX: 20, Priority.ROUTINE: 10}
# Events that bind a job to its assignee (the plan no longer moves it) and the one that frees it again.
BINDING = (EventType.ACCEPT, EventType.ON_THE_WAY)
ON_SITE = (EventType.CHECK_IN,)
RELEASING = (EventType.ASSIGN, EventType.DECLINE, EventType.CHECK_OUT)


@dataclass(frozen=True)
class Area:
    """Everything the planner needs for one city and day."""

    name: str
    day: date
    origin: datetime  # local midnight, aware
    crews: list[planning.Crew]
    travel: rules.TravelModel


def _origin(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=SHANGHAI)


def _offset(origin: datetime, moment: datetime) -> int:
    return int((moment - origin).total_seconds())


def _minutes(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def _crews(session: Session, *, area: str, day: date, now: datetime) -> tuple[list[planning.Crew], dict[int, tuple]]:
    """Crews of the area's organisations (not on a day off), and what eligibility needs of each."""
    rows = session.execute(
        select(Technician, User, ServicePoint)
        .join(User, User.id == Technician.user_id)
        .join(Organisation, Organisation.id == User.organisation_id)
        .outerjoin(ServicePoint, ServicePoint.organisation_id == User.organisation_id)
        .where(
            User.is_active.is_(True),
            User.role.in_([Role.TECHNICIAN, Role.PROVIDER]),
            Organisation.city.in_(rules.city_spellings(area)),
        )
        .order_by(User.id)
    ).all()
    crews, profiles = [], {}
    today = to_local(now).date() == day
    for profile, user, point in rows:
        if day.isoformat() in profile.days_off:
            continue
        home = (profile.home_longitude, profile.home_latitude)
        seen_today = profile.last_seen_at is not None and to_local(profile.last_seen_at).date() == day
        start = (
            (profile.last_longitude, profile.last_latitude)
            if today and seen_today and profile.last_longitude is not None and profile.last_latitude is not None
            else home
        )
        lunch = (
            (_minutes(profile.break_start), _minutes(profile.break_end))
            if profile.break_start and profile.break_end
            else None
        )
        crews.append(
            planning.Crew(
                user_id=user.id,
                username=user.username,
                start=start,
                home=home,
                shift=(_minutes(profile.shift_start), _minutes(profile.shift_end)),
                break_window=lunch,
                max_jobs=profile.max_jobs_per_day,
            )
        )
        profiles[user.id] = (profile, user, point)
    return crews, profiles


def _candidates(profiles: dict[int, tuple], ticket: Ticket, position: tuple[float, float]) -> frozenset[int]:
    needed = rules.required_skill(str(ticket.kind), ticket.product_model)
    job = rules.JobView(
        str(ticket.kind), ticket.product_model, ticket.address.adcode if ticket.address else None, position, None
    )
    allowed = set()
    for user_id, (profile, user, point) in profiles.items():
        view = rules.TechnicianView(
            user_id=user_id,
            username=user.username,
            skills=frozenset(profile.skills),
            position=(profile.home_longitude, profile.home_latitude),
            shift_start=time(0, 0),
            shift_end=time(23, 59),
            days_off=frozenset(),
            max_jobs=profile.max_jobs_per_day,
            jobs_today=0,
            area_adcodes=frozenset(point.adcodes) if point else frozenset(),
            area_center=(point.longitude, point.latitude) if point else None,
            area_radius_km=point.radius_km if point else None,
        )
        if rules.has_skill(view.skills, needed) and rules.in_area(view, job):
            allowed.add(user_id)
    return frozenset(allowed)


def _field_marks(session: Session, ticket_ids: list[int]) -> dict[int, str]:
    """'bound' (accepted / on the way) or 'on_site' for tickets whose assignee has started on them."""
    marks: dict[int, str] = {}
    if not ticket_ids:
        return marks
    types = [*BINDING, *ON_SITE, *RELEASING]
    rows = session.execute(
        select(TicketEvent.ticket_id, TicketEvent.type)
        .where(TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.type.in_(types))
        .order_by(TicketEvent.ticket_id, TicketEvent.id)
    ).all()
    for ticket_id, event_type in rows:
        if event_type in RELEASING:
            marks.pop(ticket_id, None)
        elif event_type in ON_SITE:
            marks[ticket_id] = "on_site"
        else:
            marks[ticket_id] = "bound"
    return marks


def _stop(
    ticket: Ticket,
    *,
    origin: datetime,
    now: datetime,
    profiles: dict[int, tuple],
    booking: Appointment | None,
    pinned: bool,
) -> planning.Stop:
    assert ticket.address is not None
    position = rules.validate_point(ticket.address.longitude, ticket.address.latitude)
    windows: tuple[tuple[int, int], ...] = ()
    onsite = next((t for t in ticket.sla_targets if t.kind == TargetKind.ONSITE and t.met_at is None), None)
    if booking is not None:
        windows = ((_offset(origin, booking.window_start), _offset(origin, booking.window_end)),)
    elif onsite is not None and onsite.due_at > now:
        windows = ((max(0, _offset(origin, now)), _offset(origin, onsite.due_at)),)
    candidates = (
        frozenset({ticket.assignee_id}) if pinned and ticket.assignee_id else _candidates(profiles, ticket, position)
    )
    return planning.Stop(
        ticket_id=ticket.id,
        position=position,
        service=rules.SERVICE_MINUTES.get(str(ticket.kind), 45) * 60,
        windows=windows,
        priority=PRIORITY_WEIGHT.get(Priority(ticket.priority), 10),
        candidates=candidates,
        label=ticket.number,
    )


def _bookings(session: Session, ticket_ids: list[int]) -> dict[int, Appointment]:
    if not ticket_ids:
        return {}
    rows = session.scalars(
        select(Appointment).where(Appointment.ticket_id.in_(ticket_ids), Appointment.status == "booked")
    )
    return {row.ticket_id: row for row in rows}


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


def _stops_for(
    session: Session, tickets: list[Ticket], *, day: date, origin: datetime, now: datetime, profiles: dict[int, tuple]
) -> tuple[list[planning.Stop], dict[int, str]]:
    """Stops for the day's plannable tickets; tickets left out with the reason (no coordinates…)."""
    ids = [ticket.id for ticket in tickets]
    bookings, marks = _bookings(session, ids), _field_marks(session, ids)
    stops, skipped = [], {}
    for ticket in tickets:
        booking = bookings.get(ticket.id)
        if booking is not None and to_local(booking.window_start).date() != day:
            continue  # booked for another day
        if marks.get(ticket.id) == "on_site":
            continue  # the technician is there now
        try:
            stops.append(
                _stop(ticket, origin=origin, now=now, profiles=profiles, booking=booking, pinned=ticket.id in marks)
            )
        except ValueError as error:
            skipped[ticket.id] = str(error)
    return stops, skipped


def _parse_day(clock: Clock, day: date | None) -> date:
    today = to_local(clock.now()).date()
    day = day or today
    if day < today:
        raise InvalidDispatchInputError("不能为过去的日期制定计划", fields={"day": day.isoformat()})
    if day > today + timedelta(days=14):
        raise InvalidDispatchInputError("只能提前 14 天制定计划", fields={"day": day.isoformat()})
    return day


def active_plan(session: Session, *, area: str, day: date) -> DayPlan | None:
    """The current plan of an area and day, if any."""
    area = rules.canonical_city(area)
    return session.scalar(
        select(DayPlan)
        .where(DayPlan.area == area, DayPlan.day == day.isoformat(), DayPlan.status == "active")
        .order_by(DayPlan.id.desc())
    )


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


def _write_legs(session: Session, plan: DayPlan, origin: datetime, legs: list[planning.Leg]) -> None:
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


def _assign(
    session: Session, *, clock: Clock, actor: Actor, ticket: Ticket, username: str, note: str, data: dict
) -> None:
    """Give the ticket to the crew when it is not theirs yet, and put the decision on the timeline."""
    if (
        ticket.assignee_id is None
        or tickets_service.assignee_names(session, {ticket.assignee_id}).get(ticket.assignee_id) != username
    ):
        tickets_service.update_ticket(
            session, clock=clock, actor=actor, ticket_id=ticket.id, version=ticket.version, assignee_username=username
        )
    tickets_service.add_timeline_event(
        session, clock=clock, actor=actor, ticket=ticket, event_type=EventType.DISPATCH, note=note, data=data
    )


def build_plan(
    session: Session, *, clock: Clock, actor: Actor, area: str, day: date | None = None, seconds: float = 5.0
) -> DayPlan:
    """Optimise the area's day, keep it as the active plan and assign its tickets."""
    area = rules.canonical_city(area)
    if not area:
        raise InvalidDispatchInputError("请指定城市", fields={"area": "必填"})
    day = _parse_day(clock, day)
    now, origin = clock.now(), _origin(day)
    crews, profiles = _crews(session, area=area, day=day, now=now)
    if not crews:
        raise InvalidDispatchInputError(f"{area} 当天没有在班的技术员档案", fields={"area": area})
    tickets = {ticket.id: ticket for ticket in _area_tickets(session, area)}
    stops, skipped = _stops_for(session, list(tickets.values()), day=day, origin=origin, now=now, profiles=profiles)
    travel = rules.StraightLineTravel(_city_type(profiles))
    started = timer.perf_counter()
    result = planning.plan_day(crews, stops, travel=travel, seconds=seconds, not_before=max(0, _offset(origin, now)))
    elapsed_ms = round((timer.perf_counter() - started) * 1000)
    previous = active_plan(session, area=area, day=day)
    previously_planned = set()
    if previous is not None:
        previous.status = "superseded"
        previously_planned = {stop.ticket_id for stop in stops_of(session, previous.id)}
    unassigned = [
        {"ticket_id": ticket_id, "number": tickets[ticket_id].number, "reason": reason}
        for ticket_id, reason in sorted({**result.unassigned, **skipped}.items())
    ]
    plan = DayPlan(
        area=area,
        day=day.isoformat(),
        status="active",
        created_at=now,
        created_by=actor.username,
        reason="plan",
        summary={
            "jobs": len(stops) + len(skipped),
            "assigned": len(result.legs),
            "unassigned": unassigned,
            "technicians": len(crews),
            "total_km": result.total_km,
            "solve_ms": elapsed_ms,
            "emergencies": [],
        },
    )
    session.add(plan)
    session.flush()
    _write_legs(session, plan, origin, result.legs)
    names = {crew.user_id: crew.username for crew in crews}
    for leg in result.legs:
        ticket = tickets[leg.stop.ticket_id]
        owner = names[leg.technician_id]
        if ticket.assignee_id == leg.technician_id and ticket.id in previously_planned:
            continue
        eta = to_local(origin + timedelta(seconds=leg.arrival))
        _assign(
            session,
            clock=clock,
            actor=actor,
            ticket=ticket,
            username=owner,
            note=f"{day:%m月%d日}计划：{owner} 第 {leg.sequence} 站，预计 {eta:%H:%M} 到达",
            data={"plan_id": plan.id, "technician": owner, "sequence": leg.sequence, "eta": eta.isoformat()},
        )
    session.flush()
    return plan


def _city_type(profiles: dict[int, tuple]) -> str:
    kinds = [point.city_type for _, _, point in profiles.values() if point is not None]
    return max(set(kinds), key=kinds.count) if kinds else "urban"


@dataclass(frozen=True)
class EmergencyResult:
    assigned_to: str | None
    reason: str
    method: str
    eta: datetime | None
    plan_id: int | None
    elapsed_ms: float


def insert_emergency(
    session: Session, *, clock: Clock, actor: Actor, ticket_id: int, seconds: float = 1.0
) -> EmergencyResult:
    """Re-plan today's routes so an urgent job is reached before its on-site deadline, else escalate."""
    started = timer.perf_counter()
    ticket = tickets_service.get_ticket(session, ticket_id, actor=actor)
    if ticket.status not in PLANNABLE_STATUSES or ticket.kind not in FIELD_KINDS:
        raise InvalidDispatchInputError("只有未完成的安装或维修工单可以紧急插单", fields={"status": str(ticket.status)})
    if ticket.address is None or ticket.address.city is None:
        raise InvalidDispatchInputError("工单没有可识别的城市地址", fields={"address": "缺少地址"})
    onsite = next((t for t in ticket.sla_targets if t.kind == TargetKind.ONSITE and t.met_at is None), None)
    if onsite is None:
        raise InvalidDispatchInputError("工单没有待达成的上门时限", fields={"priority": str(ticket.priority)})
    now = clock.now()
    day = to_local(now).date()
    origin, area = _origin(day), rules.canonical_city(ticket.address.city)
    crews, profiles = _crews(session, area=area, day=day, now=now)
    try:
        emergency = _stop(ticket, origin=origin, now=now, profiles=profiles, booking=None, pinned=False)
    except ValueError as error:
        raise InvalidDispatchInputError(str(error), fields={"address": str(error)}) from None
    plan = active_plan(session, area=area, day=day)
    travel = rules.StraightLineTravel(_city_type(profiles))
    routes = _plan_routes(session, plan, origin=origin, now=now, profiles=profiles, exclude=ticket.id)
    outcome = planning.insert_emergency(
        crews,
        routes,
        emergency,
        due=_offset(origin, onsite.due_at),
        now=_offset(origin, now),
        travel=travel,
        replan_seconds=seconds,
    )
    if outcome.technician_id is None or outcome.arrival is None:
        _escalate(session, clock=clock, actor=actor, ticket=ticket, reason=outcome.reason)
        return EmergencyResult(None, outcome.reason, outcome.method, None, plan.id if plan else None, _ms(started))
    if plan is None:
        plan = DayPlan(
            area=area,
            day=day.isoformat(),
            status="active",
            created_at=now,
            created_by=actor.username,
            reason="emergency",
            summary={
                "jobs": 0,
                "assigned": 0,
                "unassigned": [],
                "technicians": len(crews),
                "total_km": 0.0,
                "solve_ms": 0,
                "emergencies": [],
            },
        )
        session.add(plan)
        session.flush()
    session.execute(delete(PlanStop).where(PlanStop.plan_id == plan.id, PlanStop.ticket_id == ticket.id))
    for crew_id, legs in outcome.routes.items():
        session.execute(
            delete(PlanStop).where(
                PlanStop.plan_id == plan.id,
                PlanStop.technician_id == crew_id,
                PlanStop.arrival_at > now,
            )
        )
        _write_legs(session, plan, origin, legs)
    for dropped_id in outcome.dropped:
        session.execute(delete(PlanStop).where(PlanStop.plan_id == plan.id, PlanStop.ticket_id == dropped_id))
        dropped = tickets_service.get_ticket(session, dropped_id)
        tickets_service.add_timeline_event(
            session,
            clock=clock,
            actor=actor,
            ticket=dropped,
            event_type=EventType.DISPATCH,
            note=f"因紧急工单 {ticket.number} 插单，原计划的上门无法保持，请调度重新安排",
            data={"plan_id": plan.id, "dropped_for": ticket.id},
        )
    owner = next(crew.username for crew in crews if crew.user_id == outcome.technician_id)
    eta = origin + timedelta(seconds=outcome.arrival)
    summary = dict(plan.summary)
    summary["emergencies"] = [
        *summary.get("emergencies", []),
        {
            "ticket_id": ticket.id,
            "number": ticket.number,
            "technician": owner,
            "method": outcome.method,
            "eta": eta.isoformat(),
        },
    ]
    plan.summary = summary
    _assign(
        session,
        clock=clock,
        actor=actor,
        ticket=ticket,
        username=owner,
        note=f"紧急插单：{outcome.reason}",
        data={"plan_id": plan.id, "technician": owner, "method": outcome.method, "eta": eta.isoformat()},
    )
    notifications_service.enqueue(
        session,
        clock=clock,
        kind="emergency_dispatch",
        dedupe_key=f"emergency_dispatch:{ticket.id}:{owner}",
        subject=f"紧急工单 {ticket.number}",
        body=f"紧急工单 {ticket.number}（{ticket.address.raw}），请完成当前任务后前往，"
        f"预计 {to_local(eta):%H:%M} 到达，上门时限 {to_local(onsite.due_at):%H:%M}。",
        recipient_user_id=outcome.technician_id,
        ticket_id=ticket.id,
    )
    session.flush()
    return EmergencyResult(owner, outcome.reason, outcome.method, eta, plan.id, _ms(started))


def _ms(started: float) -> float:
    return round((timer.perf_counter() - started) * 1000, 1)


def _plan_routes(
    session: Session, plan: DayPlan | None, *, origin: datetime, now: datetime, profiles: dict[int, tuple], exclude: int
) -> dict[int, list[planning.Leg]]:
    """The active plan's legs rebuilt as planner values (stops of finished or cancelled tickets that lie
    ahead are left out)."""
    if plan is None:
        return {}
    rows = [row for row in stops_of(session, plan.id) if row.ticket_id != exclude]
    tickets = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_([r.ticket_id for r in rows])))}
    bookings = _bookings(session, list(tickets))
    routes: dict[int, list[planning.Leg]] = {}
    for row in rows:
        ticket = tickets[row.ticket_id]
        if row.arrival_at > now and ticket.status not in PLANNABLE_STATUSES:
            continue
        try:
            stop = _stop(
                ticket, origin=origin, now=now, profiles=profiles, booking=bookings.get(ticket.id), pinned=True
            )
        except ValueError:
            continue
        routes.setdefault(row.technician_id, []).append(
            planning.Leg(
                stop,
                row.technician_id,
                row.sequence,
                _offset(origin, row.arrival_at),
                _offset(origin, row.departure_at),
                row.travel_km,
                row.travel_minutes,
            )
        )
    return routes


def _escalate(session: Session, *, clock: Clock, actor: Actor, ticket: Ticket, reason: str) -> None:
    """No one can be there in time: the timeline says why and the supervisors are told once."""
    tickets_service.add_timeline_event(
        session,
        clock=clock,
        actor=actor,
        ticket=ticket,
        event_type=EventType.ESCALATION,
        note=f"紧急工单无法按时上门，已升级：{reason}",
        data={"reason": reason},
    )
    supervisors = accounts_service.supervisors_for(session, user_id=None, organisation_id=ticket.organisation_id)
    for user in supervisors[:1]:
        notifications_service.enqueue(
            session,
            clock=clock,
            kind="dispatch_escalation",
            dedupe_key=f"dispatch_escalation:{ticket.id}",
            subject=f"紧急工单 {ticket.number} 无法按时上门",
            body=f"工单 {ticket.number}：{reason}。请人工协调。",
            recipient_user_id=user.id,
            ticket_id=ticket.id,
            payload={"cc_user_ids": [other.id for other in supervisors[1:]]},
        )
    session.flush()


def dispatch_at_intake(session: Session, *, clock: Clock, actor: Actor, ticket_id: int) -> str | None:
    """Dispatch a new installation or repair ticket: an urgent one into today's plan of its city when
    there is one (emergency insertion), otherwise to the best eligible technician now. Never fails the
    intake: a job that cannot be dispatched stays in the queue with the reason on its timeline.
    Returns who got it (None: queue)."""
    from aftersales.core.errors import DomainError
    from aftersales.dispatch import service as dispatch_service

    if not session.scalar(select(exists().where(Technician.user_id.is_not(None)))):
        return None  # no field network configured
    ticket = tickets_service.get_ticket(session, ticket_id)
    if ticket.kind not in FIELD_KINDS or ticket.status not in PLANNABLE_STATUSES:
        return None
    city = ticket.address.city if ticket.address else None
    urgent = ticket.priority == Priority.URGENT and any(
        t.kind == TargetKind.ONSITE and t.met_at is None for t in ticket.sla_targets
    )
    try:
        with session.begin_nested():
            if urgent and city and active_plan(session, area=city, day=to_local(clock.now()).date()) is not None:
                return insert_emergency(session, clock=clock, actor=actor, ticket_id=ticket_id).assigned_to
            return dispatch_service.auto_dispatch(session, clock=clock, actor=actor, ticket_id=ticket_id).assigned_to
    except DomainError as error:
        ticket = tickets_service.get_ticket(session, ticket_id)
        tickets_service.add_timeline_event(
            session,
            clock=clock,
            actor=actor,
            ticket=ticket,
            event_type=EventType.DISPATCH,
            note=f"未能自动派单，转调度台：{error}",
            data={"error": getattr(error, "code", "dispatch.invalid")},
        )
        session.flush()
        return None


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
        raise PlanNotFoundError(f"{area} {day.isoformat()} 还没有日计划")
    return plan
