"""What every step of the job flow shares: who may act, the field state, refusing a step the flow does
not allow, recording a step on the timeline with its audit entry, storing a checked file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.errors import PermissionDeniedError
from aftersales.core.i18n import N_
from aftersales.dispatch.enums import EVENT_OWNER, FieldEventType
from aftersales.dispatch.errors import FieldStepNotAllowedError, InvalidAttachmentError, InvalidDispatchInputError
from aftersales.dispatch.fieldwork import inputs as field_inputs
from aftersales.dispatch.fieldwork import rules as field_rules
from aftersales.dispatch.fieldwork.inputs import CheckedFile, FieldInputError
from aftersales.dispatch.fieldwork.rules import FieldAction, FieldProgress
from aftersales.dispatch.network.models import Technician
from aftersales.tickets import events as ticket_events
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import EventType, TicketStatus
from aftersales.tickets.models import Ticket, TicketAttachment, TicketEvent

ticket_events.register_event_types(EVENT_OWNER, FieldEventType)


def may_act(actor: Actor, ticket: Ticket) -> bool:
    """The assignee, or a provider account of the organisation the job is assigned to."""
    if actor.user_id is not None and ticket.assignee_id == actor.user_id:
        return True
    return (
        actor.role == Role.PROVIDER
        and actor.organisation_id is not None
        and ticket.organisation_id == actor.organisation_id
    )


def load_job(session: Session, *, actor: Actor, ticket_id: int, for_update: bool = False) -> Ticket:
    """The ticket as a job of the actor: 404 when they cannot see it, 403 when it is not theirs to do."""
    ticket = tickets_service.get_ticket(session, ticket_id, actor=actor, for_update=for_update)
    if not may_act(actor, ticket):
        raise PermissionDeniedError(N_("只有被指派的技术员或其服务商可以操作此任务"), code="dispatch.not_your_job")
    return ticket


def progress_of(session: Session, ticket: Ticket) -> FieldProgress:
    """The job's field state from its timeline."""
    types = session.scalars(
        select(TicketEvent.type).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.at, TicketEvent.id)
    )
    return field_rules.progress(types, is_assigned=ticket.assignee_id is not None)


def start(session: Session, actor: Actor, ticket_id: int, action: FieldAction) -> tuple[Ticket, FieldProgress]:
    """Lock the actor's job and check that the flow allows ``action`` now (409 with the reason if not)."""
    ticket = load_job(session, actor=actor, ticket_id=ticket_id, for_update=True)
    current = progress_of(session, ticket)
    reason = field_rules.refusal(action, current, ticket.status)
    if reason is not None:
        raise FieldStepNotAllowedError(
            reason,
            fields={
                "action": action.value,
                "field_state": current.state.value,
                "status": str(ticket.status),
                "allowed": [allowed.value for allowed in field_rules.allowed_actions(current, ticket.status)],
            },
        )
    return ticket, current


def invalid(error: FieldInputError, *, attachment: bool = False) -> InvalidDispatchInputError:
    """The domain error for input the pure checks refused (422)."""
    kind = InvalidAttachmentError if attachment else InvalidDispatchInputError
    return kind(error.message, fields=error.fields)


@contextmanager
def refused_input(*, attachment: bool = False) -> Iterator[None]:
    """Turn the pure checks' FieldInputError into the domain error (422), raised before any write."""
    try:
        yield
    except FieldInputError as error:
        raise invalid(error, attachment=attachment) from None


def optional_note(note: str | None) -> str | None:
    """The technician's optional note, trimmed and length-checked."""
    with refused_input():
        return field_inputs.text(note, field="note", label=N_("说明"), max_length=field_inputs.MAX_NOTE)


def record(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    ticket: Ticket,
    event_type: FieldEventType,
    note: str,
    data: dict[str, Any] | None = None,
    note_key: str,
    note_params: dict[str, Any] | None = None,
) -> TicketEvent:
    """A non-lifecycle step: the timeline event and its audit entry. ``note_key`` and ``note_params``
    (kept with the event's data, not in the audit) let the console show the note in its language."""
    keyed = {**(data or {}), "note_key": note_key, "note_params": note_params or {}}
    event = tickets_service.record_event(
        session, clock=clock, actor=actor, ticket=ticket, event_type=event_type, note=note, data=keyed
    )
    session.flush()
    audit(
        session,
        clock=clock,
        actor=actor,
        ticket=ticket,
        action=f"job.{event_type.value}",
        after={"event_id": event.id, **(data or {})},
        note=note,
    )
    return event


def audit(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    ticket: Ticket,
    action: str,
    after: dict[str, Any],
    note: str | None = None,
) -> None:
    """An entry in the audit trail for a step on the job."""
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action=action,
        entity_type="ticket",
        entity_id=ticket.id,
        after=after,
        note=note,
    )


def latest_event(session: Session, ticket_id: int, event_type: str) -> TicketEvent:
    """The ticket's most recent event of a type (the caller knows there is one)."""
    return session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.type == event_type)
        .order_by(TicketEvent.id.desc())
        .limit(1)
    ).one()


def contact_first(session: Session, *, clock: Clock, actor: Actor, ticket: Ticket, note: str, note_key: str) -> None:
    """A job still ``registered`` moves on with the contact step: the technician called the customer."""
    if ticket.status == TicketStatus.REGISTERED:
        tickets_service.apply_event(
            session,
            clock=clock,
            actor=actor,
            ticket_id=ticket.id,
            event_type=EventType.CONTACT,
            note=note,
            data={"note_key": note_key, "note_params": {}},
        )


def remember_position(session: Session, *, clock: Clock, actor: Actor, position: tuple[float, float]) -> None:
    """The technician's last known position (used by dispatch for the next job)."""
    profile = session.get(Technician, actor.user_id) if actor.user_id is not None else None
    if profile is not None:
        profile.last_longitude, profile.last_latitude = position
        profile.last_seen_at = clock.now()


def store(
    session: Session, *, clock: Clock, actor: Actor, ticket: Ticket, event: TicketEvent, kind: str, file: CheckedFile
) -> TicketAttachment:
    """Keep a checked file as an attachment of the event that recorded it."""
    attachment = TicketAttachment(
        ticket_id=ticket.id,
        event_id=event.id,
        kind=kind,
        filename=file.filename,
        content_type=file.content_type,
        size_bytes=len(file.data),
        sha256=file.sha256,
        data=file.data,
        uploaded_by=actor.username,
        created_at=clock.now(),
    )
    session.add(attachment)
    return attachment
