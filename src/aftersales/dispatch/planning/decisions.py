"""A new field job's dispatch decision: an urgent one into today's plan of its city (emergency insertion),
any other to the best eligible technician now; a job that cannot be dispatched stays in the queue with
the reason on its timeline. Flushes, never commits."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.errors import DomainError
from aftersales.core.timeutil import to_local
from aftersales.dispatch.network import service as dispatch_service
from aftersales.dispatch.network.models import Technician
from aftersales.dispatch.planning import emergencies
from aftersales.dispatch.planning import service as dayplans
from aftersales.sla.enums import TargetKind
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import Priority
from aftersales.tickets.models import Ticket


def dispatch_at_intake(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    ticket_id: int,
    found: list[dispatch_service.Candidate] | None = None,
    planned: emergencies.PlannedInsertion | None = None,
) -> str | None:
    """Dispatch a new installation or repair ticket (see ``dispatch_now``); nothing when no field network
    is configured. Never fails the intake. Returns who got it (None: queue)."""
    if not session.scalar(select(exists().where(Technician.user_id.is_not(None)))):
        return None  # no field network configured
    return dispatch_now(session, clock=clock, actor=actor, ticket_id=ticket_id, found=found, planned=planned)[0]


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
    planned: emergencies.PlannedInsertion | None = None,
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
            # Worked out just before in a read-only transaction: written if the plan and the ticket are as
            # they were then (``apply_insertion`` checks), without looking the plan up twice.
            inserted = (
                emergencies.apply_insertion(session, clock=clock, actor=actor, planned=planned)
                if planned is not None and planned.ticket_id == ticket_id
                else None
            )
            if inserted is None and goes_into_a_plan(session, clock=clock, ticket=ticket):
                inserted = emergencies.insert_emergency(session, clock=clock, actor=actor, ticket_id=ticket_id)
            if inserted is not None:
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
