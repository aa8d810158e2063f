"""Emergencies: an urgent job put into today's plan of its city so that it is reached before its on-site
deadline (see ``planning.insert_emergency``), escalated with the reason when nobody can make it; and the
dispatch of a new ticket at intake. Flushes, never commits."""

from __future__ import annotations

import time as timer
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from aftersales.accounts.schemas import Actor
from aftersales.core import offload
from aftersales.core.clock import Clock
from aftersales.core.i18n import N_, message_of
from aftersales.core.timeutil import to_local
from aftersales.dispatch.enums import EVENT_OWNER, DispatchEventType
from aftersales.dispatch.errors import InvalidDispatchInputError
from aftersales.dispatch.network import rules
from aftersales.dispatch.network import service as dispatch_service
from aftersales.dispatch.planning import emergency_followups as followups
from aftersales.dispatch.planning import inputs
from aftersales.dispatch.planning import rules as planning
from aftersales.dispatch.planning import service as dayplans
from aftersales.dispatch.planning.models import DayPlan, PlanStop
from aftersales.notifications import service as notifications_service
from aftersales.sla.enums import TargetKind
from aftersales.sla.models import Target
from aftersales.tickets import assignment as tickets_assignment
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


@dataclass(frozen=True)
class PlannedInsertion:
    """An emergency insertion worked out on a snapshot of its plan (``plan_insertion``), to be written by
    ``apply_insertion`` only if the plan is still that snapshot."""

    ticket_id: int
    area: str
    day: date
    origin: datetime
    plan_id: int | None
    snapshot: tuple[tuple[int, int, int, datetime], ...]  # the plan's stops it was computed from
    outcome: planning.Insertion
    names: dict[int, str]
    crews: int
    started: float


def insert_emergency(
    session: Session, *, clock: Clock, actor: Actor, ticket_id: int, seconds: float = 1.0
) -> EmergencyResult:
    """Re-plan today's routes so an urgent job is reached before its on-site deadline, else escalate."""
    planned = plan_insertion(session, clock=clock, actor=actor, ticket_id=ticket_id, seconds=seconds, lock=True)
    result = apply_insertion(session, clock=clock, actor=actor, planned=planned)
    assert result is not None  # the plan row is locked (PostgreSQL) or the writer is us (SQLite)
    return result


def plan_insertion(
    session: Session, *, clock: Clock, actor: Actor, ticket_id: int, seconds: float = 1.0, lock: bool = False
) -> PlannedInsertion:
    """Work out where an urgent job goes (reads only: may run in a read-only transaction, so that the
    re-plan never holds the database's writer). ``lock`` takes the plan row first (PostgreSQL)."""
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
    if lock:
        # One insertion per plan at a time: with several dispatchers (processes, PostgreSQL) two of them
        # would otherwise read the same stops and both write their version (a job planned twice).
        dayplans.active_plan(session, area=area, day=day, for_update=True)
    crews, profiles = inputs.crews_of(session, area=area, day=day, now=now)
    views = inputs.technician_views(profiles)
    try:
        emergency = inputs.stop_for(
            inputs.facts_of(ticket), origin=origin, now=now, views=views, booking=None, pinned=False
        )
    except ValueError as error:
        problem = message_of(error)
        raise InvalidDispatchInputError(problem, fields={"address": problem}) from None
    plan = dayplans.active_plan(session, area=area, day=day)
    rows = dayplans.stops_of(session, plan.id) if plan is not None else []
    travel = rules.StraightLineTravel(inputs.city_type(profiles))
    routes = _plan_routes(session, rows, origin=origin, now=now, views=views, exclude=ticket.id)
    # The search (and any re-plan's VROOM solve) runs where it cannot hold this process's GIL.
    outcome = offload.run(
        planning.insert_emergency,
        crews,
        routes,
        emergency,
        due=inputs.offset(origin, onsite.due_at),
        now=inputs.offset(origin, now),
        travel=travel,
        replan_seconds=seconds,
    )
    return PlannedInsertion(
        ticket_id=ticket.id,
        area=area,
        day=day,
        origin=origin,
        plan_id=plan.id if plan is not None else None,
        snapshot=_snapshot(rows),
        outcome=outcome,
        names={crew.user_id: crew.username for crew in crews},
        crews=len(crews),
        started=started,
    )


def _snapshot(rows: list[PlanStop]) -> tuple[tuple[int, int, int, datetime], ...]:
    return tuple((row.ticket_id, row.technician_id, row.sequence, row.arrival_at) for row in rows)


def apply_insertion(
    session: Session, *, clock: Clock, actor: Actor, planned: PlannedInsertion
) -> EmergencyResult | None:
    """Write a planned insertion (the stops it moved, the assignment, the notice), or escalate when nobody
    can make it. None, with nothing written, when the plan changed since it was worked out."""
    ticket = tickets_service.get_ticket(session, planned.ticket_id, actor=actor)
    onsite = next((t for t in ticket.sla_targets if t.kind == TargetKind.ONSITE and t.met_at is None), None)
    plan = dayplans.active_plan(session, area=planned.area, day=planned.day, for_update=True)
    current = _snapshot(dayplans.stops_of(session, plan.id)) if plan is not None else ()
    if (
        (plan.id if plan is not None else None) != planned.plan_id
        or current != planned.snapshot
        or ticket.status not in dayplans.PLANNABLE_STATUSES
        or ticket.priority != Priority.URGENT
        or onsite is None
        or ticket.address is None
    ):
        return None
    # Written without a flush before each query (the stops, moves and notices flush once at the end): on
    # SQLite this runs holding the single write lock, and ten flushes cost half of it.
    with session.no_autoflush:
        return _apply(
            session,
            clock=clock,
            actor=actor,
            planned=planned,
            ticket=ticket,
            plan=plan,
            onsite=onsite,
            address=ticket.address.raw,
        )


def _apply(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    planned: PlannedInsertion,
    ticket: Ticket,
    plan: DayPlan | None,
    onsite: Target,
    address: str,
) -> EmergencyResult:
    outcome, origin, names, started = planned.outcome, planned.origin, planned.names, planned.started
    if outcome.technician_id is None or outcome.arrival is None:
        followups.escalate(
            session, clock=clock, actor=actor, ticket=ticket, reason=outcome.reason, note=outcome.reason_note
        )
        return EmergencyResult(None, outcome.reason, outcome.method, None, planned.plan_id, _ms(started))
    if plan is None:
        plan = dayplans.new_plan(
            session,
            area=planned.area,
            day=planned.day,
            now=clock.now(),
            actor=actor,
            reason="emergency",
            technicians=planned.crews,
        )
    summary_dropped: list[int] = []
    # Every stop the planner moved, re-timed or gave up is rewritten; the jobs in hand are left alone.
    rewritten = {ticket.id, *outcome.dropped, *(leg.stop.ticket_id for legs in outcome.routes.values() for leg in legs)}
    session.execute(delete(PlanStop).where(PlanStop.plan_id == plan.id, PlanStop.ticket_id.in_(rewritten)))
    for legs in outcome.routes.values():
        dayplans.write_legs(session, plan, origin, legs)
        followups.follow_moves(
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
            tickets_assignment.unassign_ticket(
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
            "address": address,
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
    stops: list[PlanStop],
    *,
    origin: datetime,
    now: datetime,
    views: list[rules.TechnicianView],
    exclude: int,
) -> dict[int, list[planning.Leg]]:
    """The active plan's legs rebuilt as planner values (stops of finished or cancelled tickets that lie
    ahead are left out)."""
    rows = [row for row in stops if row.ticket_id != exclude]
    jobs = inputs.facts_for(session, [row.ticket_id for row in rows])
    bookings = inputs.bookings_of(session, list(jobs))
    bound = inputs.field_marks(session, list(jobs))
    routes: dict[int, list[planning.Leg]] = {}
    for row in rows:
        job = jobs[row.ticket_id]
        if row.arrival_at > now and job.status not in dayplans.PLANNABLE_STATUSES:
            continue
        try:
            stop = inputs.stop_for(
                job, origin=origin, now=now, views=views, booking=bookings.get(job.id), pinned=job.id in bound
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
