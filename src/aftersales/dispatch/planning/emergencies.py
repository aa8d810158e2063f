"""Emergencies: an urgent job put into today's plan of its city so that it is reached before its on-site
deadline (see ``planning.insert_emergency``), escalated with the reason when nobody can make it; and the
dispatch of a new ticket at intake. Flushes, never commits."""

from __future__ import annotations

import time as timer
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.errors import DomainError
from aftersales.core.i18n import N_, message_of
from aftersales.core.timeutil import to_local
from aftersales.dispatch.enums import EVENT_OWNER, DispatchEventType
from aftersales.dispatch.errors import InvalidDispatchInputError
from aftersales.dispatch.network import rules
from aftersales.dispatch.network import service as dispatch_service
from aftersales.dispatch.network.models import Technician
from aftersales.dispatch.planning import inputs
from aftersales.dispatch.planning import rules as planning
from aftersales.dispatch.planning import service as dayplans
from aftersales.dispatch.planning.models import DayPlan, PlanStop
from aftersales.notifications import service as notifications_service
from aftersales.sla.enums import TargetKind
from aftersales.tickets import events as ticket_events
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import Priority
from aftersales.tickets.models import Ticket

ticket_events.register_event_types(EVENT_OWNER, DispatchEventType)


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
    if ticket.status not in dayplans.PLANNABLE_STATUSES or ticket.kind not in dayplans.FIELD_KINDS:
        raise InvalidDispatchInputError(
            N_("只有未完成的安装或维修工单可以紧急插单"), fields={"status": str(ticket.status)}
        )
    if ticket.address is None or ticket.address.city is None:
        raise InvalidDispatchInputError(N_("工单没有可识别的城市地址"), fields={"address": "缺少地址"})
    onsite = next((t for t in ticket.sla_targets if t.kind == TargetKind.ONSITE and t.met_at is None), None)
    if onsite is None:
        raise InvalidDispatchInputError(N_("工单没有待达成的上门时限"), fields={"priority": str(ticket.priority)})
    now = clock.now()
    day = to_local(now).date()
    origin, area = inputs.origin_of(day), rules.canonical_city(ticket.address.city)
    # One insertion per plan at a time: with several dispatchers (processes, PostgreSQL) two of them
    # would otherwise read the same stops and both write their version (a job planned twice).
    dayplans.active_plan(session, area=area, day=day, for_update=True)
    crews, profiles = inputs.crews_of(session, area=area, day=day, now=now)
    names = {crew.user_id: crew.username for crew in crews}
    try:
        emergency = inputs.stop_for(ticket, origin=origin, now=now, profiles=profiles, booking=None, pinned=False)
    except ValueError as error:
        problem = message_of(error)
        raise InvalidDispatchInputError(problem, fields={"address": problem}) from None
    plan = dayplans.active_plan(session, area=area, day=day)
    travel = rules.StraightLineTravel(inputs.city_type(profiles))
    routes = _plan_routes(session, plan, origin=origin, now=now, profiles=profiles, exclude=ticket.id)
    outcome = planning.insert_emergency(
        crews,
        routes,
        emergency,
        due=inputs.offset(origin, onsite.due_at),
        now=inputs.offset(origin, now),
        travel=travel,
        replan_seconds=seconds,
    )
    if outcome.technician_id is None or outcome.arrival is None:
        _escalate(session, clock=clock, actor=actor, ticket=ticket, reason=outcome.reason, note=outcome.reason_note)
        return EmergencyResult(None, outcome.reason, outcome.method, None, plan.id if plan else None, _ms(started))
    if plan is None:
        plan = dayplans.new_plan(
            session, area=area, day=day, now=now, actor=actor, reason="emergency", technicians=len(crews)
        )
    summary_dropped: list[int] = []
    # Every stop the planner moved, re-timed or gave up is rewritten; the jobs in hand are left alone.
    rewritten = {ticket.id, *outcome.dropped, *(leg.stop.ticket_id for legs in outcome.routes.values() for leg in legs)}
    session.execute(delete(PlanStop).where(PlanStop.plan_id == plan.id, PlanStop.ticket_id.in_(rewritten)))
    for legs in outcome.routes.values():
        dayplans.write_legs(session, plan, origin, legs)
        _follow_moves(
            session, clock=clock, actor=actor, plan=plan, origin=origin, legs=legs, names=names, skip=ticket.id
        )
    for dropped_id in outcome.dropped:
        # Back to the dispatcher queue (the board lists unassigned jobs), with the reason on the timeline.
        note = f"因紧急工单 {ticket.number} 插单，原计划的上门无法保持，已退回调度台重新安排"
        data: dict[str, object] = {
            "plan_id": plan.id,
            "dropped_for": ticket.id,
            "note_key": "dispatch.dropped_for_emergency",
            "note_params": {"number": ticket.number},
        }
        if tickets_service.get_ticket(session, dropped_id).assignee_id is not None:
            tickets_service.unassign_ticket(
                session,
                clock=clock,
                actor=actor,
                ticket_id=dropped_id,
                note=note,
                event_type=DispatchEventType.DISPATCH,
                data=data,
            )
        else:
            dispatch_service.record_decision(
                session,
                clock=clock,
                actor=actor,
                ticket=tickets_service.get_ticket(session, dropped_id),
                note=note,
                data=data,
            )
        summary_dropped.append(dropped_id)
    owner = names[outcome.technician_id]
    eta = origin + timedelta(seconds=outcome.arrival)
    summary = dict(plan.summary)
    summary["unassigned"] = [
        *summary.get("unassigned", []),
        *(
            {
                "ticket_id": dropped_id,
                "number": tickets_service.get_ticket(session, dropped_id).number,
                "reason": f"为紧急工单 {ticket.number} 让出时间",
            }
            for dropped_id in summary_dropped
        ),
    ]
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
    dayplans.assign_with_note(
        session,
        clock=clock,
        actor=actor,
        ticket=ticket,
        username=owner,
        note=f"紧急插单：{outcome.reason}",
        data={
            "plan_id": plan.id,
            "technician": owner,
            "method": outcome.method,
            "eta": eta.isoformat(),
            "note_key": "dispatch.emergency",
            "note_params": {"reason": outcome.reason_note},
        },
    )
    notifications_service.enqueue(
        session,
        clock=clock,
        kind="emergency_dispatch",
        dedupe_key=f"emergency_dispatch:{ticket.id}:{owner}",
        context={
            "ticket_number": ticket.number,
            "address": ticket.address.raw,
            "eta": f"{to_local(eta):%H:%M}",
            "due_at": f"{to_local(onsite.due_at):%H:%M}",
        },
        recipient_user_id=outcome.technician_id,
        ticket_id=ticket.id,
    )
    session.flush()
    return EmergencyResult(owner, outcome.reason, outcome.method, eta, plan.id, _ms(started))


def _ms(started: float) -> float:
    return round((timer.perf_counter() - started) * 1000, 1)


def _plan_routes(
    session: Session,
    plan: DayPlan | None,
    *,
    origin: datetime,
    now: datetime,
    profiles: dict[int, tuple[Any, ...]],
    exclude: int,
) -> dict[int, list[planning.Leg]]:
    """The active plan's legs rebuilt as planner values (stops of finished or cancelled tickets that lie
    ahead are left out)."""
    if plan is None:
        return {}
    rows = [row for row in dayplans.stops_of(session, plan.id) if row.ticket_id != exclude]
    tickets = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_([r.ticket_id for r in rows])))}
    bookings = inputs.bookings_of(session, list(tickets))
    bound = inputs.field_marks(session, list(tickets))
    routes: dict[int, list[planning.Leg]] = {}
    for row in rows:
        ticket = tickets[row.ticket_id]
        if row.arrival_at > now and ticket.status not in dayplans.PLANNABLE_STATUSES:
            continue
        try:
            stop = inputs.stop_for(
                ticket,
                origin=origin,
                now=now,
                profiles=profiles,
                booking=bookings.get(ticket.id),
                pinned=ticket.id in bound,
            )
        except ValueError:
            continue
        routes.setdefault(row.technician_id, []).append(
            planning.Leg(
                stop,
                row.technician_id,
                row.sequence,
                inputs.offset(origin, row.arrival_at),
                inputs.offset(origin, row.departure_at),
                row.travel_km,
                row.travel_minutes,
            )
        )
    return routes


def _escalate(
    session: Session, *, clock: Clock, actor: Actor, ticket: Ticket, reason: str, note: dict[str, Any]
) -> None:
    """No one can be there in time: the timeline says why (``note``: the reason as a note key and
    parameters) and the supervisors are told once."""
    tickets_service.record_event(
        session,
        clock=clock,
        actor=actor,
        ticket=ticket,
        event_type=DispatchEventType.ESCALATION,
        note=f"紧急工单无法按时上门，已升级：{reason}",
        data={"reason": reason, "note_key": "dispatch.escalated", "note_params": {"reason": note}},
    )
    supervisors = accounts_service.supervisors_for(session, user_id=None, organisation_id=ticket.organisation_id)
    for user in supervisors[:1]:
        notifications_service.enqueue(
            session,
            clock=clock,
            kind="dispatch_escalation",
            dedupe_key=f"dispatch_escalation:{ticket.id}",
            context={"ticket_number": ticket.number, "reason": reason},
            recipient_user_id=user.id,
            ticket_id=ticket.id,
            payload={"cc_user_ids": [other.id for other in supervisors[1:]]},
        )
    session.flush()


def dispatch_at_intake(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    ticket_id: int,
    found: list[dispatch_service.Candidate] | None = None,
) -> str | None:
    """Dispatch a new installation or repair ticket (see ``dispatch_now``); nothing when no field network
    is configured. Never fails the intake. Returns who got it (None: queue)."""
    if not session.scalar(select(exists().where(Technician.user_id.is_not(None)))):
        return None  # no field network configured
    return dispatch_now(session, clock=clock, actor=actor, ticket_id=ticket_id, found=found)[0]


def goes_into_a_plan(session: Session, *, clock: Clock, ticket: Ticket) -> bool:
    """An urgent field job with its on-site clock running, in a city with today's plan: emergency insertion."""
    city = ticket.address.city if ticket.address else None
    urgent = ticket.priority == Priority.URGENT and any(
        t.kind == TargetKind.ONSITE and t.met_at is None for t in ticket.sla_targets
    )
    return bool(
        urgent and city and dayplans.active_plan(session, area=city, day=to_local(clock.now()).date()) is not None
    )


def dispatch_now(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    ticket_id: int,
    found: list[dispatch_service.Candidate] | None = None,
) -> tuple[str | None, str]:
    """An urgent job goes into today's plan of its city when there is one (emergency insertion); any
    other field job to the best eligible technician now (``found``: candidates judged just before, in a
    read-only transaction). A job that cannot be dispatched stays in the queue with the reason on its
    timeline. Returns (who got it or None, the reason)."""
    ticket = tickets_service.get_ticket(session, ticket_id, actor=actor)
    if ticket.kind not in dayplans.FIELD_KINDS or ticket.status not in dayplans.PLANNABLE_STATUSES:
        return None, "只有未完成的安装或维修工单需要派单"
    try:
        with session.begin_nested():
            if goes_into_a_plan(session, clock=clock, ticket=ticket):
                inserted = insert_emergency(session, clock=clock, actor=actor, ticket_id=ticket_id)
                return inserted.assigned_to, inserted.reason
            decided = dispatch_service.auto_dispatch(
                session, clock=clock, actor=actor, ticket_id=ticket_id, found=found
            )
            return decided.assigned_to, decided.reason
    except DomainError as error:
        note = f"未能自动派单，转调度台：{error}"
        dispatch_service.record_decision(
            session,
            clock=clock,
            actor=actor,
            ticket=tickets_service.get_ticket(session, ticket_id),
            note=note,
            data={
                "error": getattr(error, "code", "dispatch.invalid"),
                "note_key": "dispatch.failed",
                "note_params": {"error": str(error)},
            },
        )
        return None, note


def _follow_moves(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    plan: DayPlan,
    origin: datetime,
    legs: list[planning.Leg],
    names: dict[int, str],
    skip: int,
) -> None:
    """A re-plan may hand a booked job to another crew: the ticket follows, with the new ETA."""
    tickets = {
        t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_([leg.stop.ticket_id for leg in legs])))
    }
    for leg in legs:
        ticket = tickets.get(leg.stop.ticket_id)
        if ticket is None or ticket.id == skip or ticket.assignee_id == leg.technician_id:
            continue
        owner = names[leg.technician_id]
        eta = to_local(origin + timedelta(seconds=leg.arrival))
        dayplans.assign_with_note(
            session,
            clock=clock,
            actor=actor,
            ticket=ticket,
            username=owner,
            note=f"紧急插单后调整：改由 {owner} 第 {leg.sequence} 站，预计 {eta:%H:%M} 到达",
            data={
                "plan_id": plan.id,
                "technician": owner,
                "sequence": leg.sequence,
                "eta": eta.isoformat(),
                "note_key": "dispatch.moved_for_emergency",
                "note_params": {"technician": owner, "sequence": leg.sequence, "eta": f"{eta:%H:%M}"},
            },
        )
