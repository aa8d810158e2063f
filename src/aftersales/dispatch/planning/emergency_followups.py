"""What an emergency insertion writes besides the plan: the escalation when no crew can make it, and
the reassignment of jobs the re-plan moved to another crew. Flushes, never commits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.timeutil import to_local
from aftersales.dispatch.enums import DispatchEventType
from aftersales.dispatch.planning import rules as planning
from aftersales.dispatch.planning import service as dayplans
from aftersales.dispatch.planning.models import DayPlan
from aftersales.notifications import service as notifications_service
from aftersales.tickets import service as tickets_service
from aftersales.tickets.models import Ticket


def escalate(
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


def follow_moves(
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
    assignees = dict(
        session.execute(
            select(Ticket.id, Ticket.assignee_id).where(Ticket.id.in_([leg.stop.ticket_id for leg in legs]))
        ).all()
    )
    for leg in legs:
        if leg.stop.ticket_id not in assignees or leg.stop.ticket_id == skip:
            continue
        if assignees[leg.stop.ticket_id] == leg.technician_id:
            continue
        ticket = tickets_service.get_ticket(session, leg.stop.ticket_id)
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
