"""Read models of the job flow: my open jobs, a job card with its field state and next steps, the files
on a ticket. Reads only."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import Actor
from aftersales.core.errors import NotFoundError
from aftersales.core.i18n import N_
from aftersales.dispatch.enums import FieldEventType
from aftersales.dispatch.fieldwork import common
from aftersales.dispatch.fieldwork import rules as field_rules
from aftersales.dispatch.fieldwork.rules import FieldAction, FieldProgress, FieldState
from aftersales.sla.enums import TargetKind
from aftersales.tickets import service as tickets_service
from aftersales.tickets import timeline as ticket_timeline
from aftersales.tickets.enums import EventType, TicketStatus
from aftersales.tickets.models import Ticket, TicketAttachment, TicketEvent
from aftersales.tickets.rules import OPEN_STATUSES

# The events that move the field state or the confirmation (enough to replay ``field_rules.progress``).
_PROGRESS_EVENTS = [
    *field_rules.STATE_EVENTS,
    EventType.RESULT.value,
    EventType.REOPEN.value,
    FieldEventType.CONFIRMATION.value,
]


@dataclass(frozen=True)
class Job:
    """A ticket as one of my jobs."""

    ticket: Ticket
    progress: FieldProgress


@dataclass(frozen=True)
class JobCard:
    """Everything the phone shows for one job."""

    ticket: Ticket
    progress: FieldProgress
    may_act: bool
    allowed_actions: list[FieldAction]  # empty for those who may only look
    events: list[TicketEvent]
    attachments: list[TicketAttachment]


def _deadline(ticket: Ticket) -> tuple[int, datetime]:
    pending = [target for target in ticket.sla_targets if target.met_at is None]
    onsite = [target.due_at for target in pending if target.kind == TargetKind.ONSITE]
    due = min(onsite or [target.due_at for target in pending] or [ticket.reported_at])
    return (1 if ticket.status == TicketStatus.RESOLVED else 0, due)


def list_jobs(session: Session, *, actor: Actor) -> list[Job]:
    """Open jobs assigned to the actor (a provider account: to its organisation), the earliest on-site
    deadline first. A resolved job stays until the technician has checked out."""
    query = select(Ticket).where(Ticket.status.in_([*OPEN_STATUSES, TicketStatus.RESOLVED]))
    if actor.role == Role.PROVIDER:
        if actor.organisation_id is None:
            return []
        query = query.where(Ticket.organisation_id == actor.organisation_id)
    else:
        query = query.where(Ticket.assignee_id == actor.user_id)
    tickets = list(session.scalars(query).unique())
    if not tickets:
        return []
    types: dict[int, list[str]] = defaultdict(list)
    rows = session.execute(
        select(TicketEvent.ticket_id, TicketEvent.type)
        .where(TicketEvent.ticket_id.in_([ticket.id for ticket in tickets]), TicketEvent.type.in_(_PROGRESS_EVENTS))
        .order_by(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.id)
    )
    for ticket_id, event_type in rows:
        types[ticket_id].append(event_type)
    jobs = [
        Job(ticket, field_rules.progress(types[ticket.id], is_assigned=ticket.assignee_id is not None))
        for ticket in tickets
    ]
    done = [
        job
        for job in jobs
        if job.ticket.status == TicketStatus.RESOLVED and job.progress.state == FieldState.CHECKED_OUT
    ]
    return sorted((job for job in jobs if job not in done), key=lambda job: _deadline(job.ticket))


def job_card(session: Session, *, actor: Actor, ticket_id: int) -> JobCard:
    """A job with its field state, the steps the actor may take now, the timeline and the files. Anyone
    who may see the ticket may look; only the assignee (or their provider) gets steps."""
    ticket = tickets_service.get_ticket(session, ticket_id, actor=actor)
    progress = common.progress_of(session, ticket)
    may_act = common.may_act(actor, ticket)
    return JobCard(
        ticket=ticket,
        progress=progress,
        may_act=may_act,
        allowed_actions=field_rules.allowed_actions(progress, ticket.status) if may_act else [],
        events=ticket_timeline.events_of(session, ticket.id),
        attachments=attachments_of(session, ticket.id),
    )


def attachments_of(session: Session, ticket_id: int) -> list[TicketAttachment]:
    """A ticket's files, oldest first, without their bytes."""
    return list(
        session.scalars(
            select(TicketAttachment).where(TicketAttachment.ticket_id == ticket_id).order_by(TicketAttachment.id)
        )
    )


def get_attachment(session: Session, *, actor: Actor, ticket_id: int, attachment_id: int) -> TicketAttachment:
    """One file with its bytes, for whoever may see the ticket (404 otherwise)."""
    tickets_service.get_ticket(session, ticket_id, actor=actor)
    attachment = session.scalar(
        select(TicketAttachment)
        .options(undefer(TicketAttachment.data))
        .where(TicketAttachment.id == attachment_id, TicketAttachment.ticket_id == ticket_id)
    )
    if attachment is None:
        raise NotFoundError(
            N_("附件 %(attachment)s 不存在"), {"attachment": attachment_id}, code="ticket.attachment_not_found"
        )
    return attachment
