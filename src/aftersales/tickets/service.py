"""Ticket use cases: create, find, move through the lifecycle, edit, comment, and record another package's
timeline event (``record_event``). The lifecycle's guards are in ``guards``, unassigning in ``assignment``,
the list in ``listing``, the timeline itself in ``timeline``, who sees what and the search in ``search``.
Flushes, never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.db import core_connection
from aftersales.core.errors import PermissionDeniedError
from aftersales.core.i18n import N_, Label
from aftersales.core.prepared import Prepared
from aftersales.customers import service as customers_service
from aftersales.customers.models import InstalledProduct
from aftersales.sla import service as sla_service
from aftersales.sla.enums import TargetKind
from aftersales.tickets import guards, intake, rules, search, sla_tracking, timeline
from aftersales.tickets.enums import EventType, Priority, TicketKind, TicketStatus
from aftersales.tickets.errors import (
    InvalidTicketError,
    InvalidTransitionError,
    TicketNotFoundError,
    VersionConflictError,
)
from aftersales.tickets.intake import FUTURE_SKEW
from aftersales.tickets.models import Ticket, TicketComment, TicketEvent
from aftersales.tickets.schemas import NewTicket

VERSION_CONFLICT = N_("工单已被他人修改（当前版本 %(version)s，提交版本 %(given)s），请刷新后重试")
ENDED = N_("已闭环或已取消的工单不能修改")


def create_ticket(
    session: Session, *, clock: Clock, actor: Actor, data: NewTicket, number_prefix: str = "SH", notify: bool = True
) -> Ticket:
    """Register a work order and return it loaded (see ``intake.register`` for the lean path)."""
    registration = intake.register(session, clock=clock, actor=actor, data=data, number_prefix=number_prefix)
    ticket = session.get(Ticket, registration.ticket_id)
    assert ticket is not None
    if registration.needs_sla_refresh:
        sla_tracking.refresh_ticket(session, clock=clock, ticket=ticket, notify=notify)
        session.flush()
    return ticket


_ID_BY_EXTERNAL_ID = Prepared(select(Ticket.id).where(Ticket.external_id == bindparam("external_id")))


def id_by_external_id(session: Session, external_id: str) -> int | None:
    """The id of the ticket created with this external id, if any (one indexed read)."""
    return cast(int | None, _ID_BY_EXTERNAL_ID.scalar(core_connection(session), {"external_id": external_id}))


def find_by_external_id(session: Session, external_id: str) -> Ticket | None:
    """The ticket created with this external id, if any."""
    return session.scalar(select(Ticket).where(Ticket.external_id == external_id))


def record_event(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    ticket: Ticket,
    event_type: str,
    note: str | None,
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    """Record an event that moves nothing (an appointment, a dispatch decision, a promise) on the ticket's
    timeline. ``event_type`` is one a package registered with ``tickets.events``; any other is refused
    with ``ticket.unknown_event_type`` and nothing is written."""
    now = clock.now()
    return timeline.write_event(session, ticket, event_type, at=now, now=now, actor=actor, note=note, data=data)


def get_ticket(session: Session, ticket_id: int, *, actor: Actor | None = None, for_update: bool = False) -> Ticket:
    """Load a ticket the actor may see."""
    if for_update and session.get_bind().dialect.name == "postgresql":
        ticket = session.scalar(select(Ticket).where(Ticket.id == ticket_id).with_for_update(of=Ticket))
    else:
        # The identity map answers repeat loads within a unit of work (a query would not refresh a loaded
        # ticket either), sparing the statement and the eager loads of its relationships.
        ticket = session.get(Ticket, ticket_id)
    if ticket is None or (actor is not None and not search.is_visible(session, actor, ticket)):
        raise TicketNotFoundError(N_("工单 %(ticket)s 不存在"), {"ticket": ticket_id})
    return ticket


def get_by_number(session: Session, number: str, *, actor: Actor | None = None) -> Ticket:
    """Load a ticket by its number."""
    ticket_id = session.scalar(select(Ticket.id).where(Ticket.number == number.strip().upper()))
    if ticket_id is None:
        raise TicketNotFoundError(N_("工单 %(ticket)s 不存在"), {"ticket": number})
    return get_ticket(session, ticket_id, actor=actor)


def apply_event(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    ticket_id: int,
    event_type: EventType,
    note: str | None = None,
    at: datetime | None = None,
    expected_version: int | None = None,
    notify: bool = True,
    data: dict[str, Any] | None = None,
    override_reason: str | None = None,
) -> Ticket:
    """Move a ticket one step along its lifecycle; a forbidden move changes nothing. ``data`` is kept on
    the timeline event (a check-in's coordinates, the return visit's id).

    The loop's guards: a result on an on-site ticket needs a check-in since the last reopen, or a
    supervisor's ``override_reason`` (recorded on the timeline and in the audit trail); a 回访 needs the
    visit that records it (``data["visit_id"]``, given by feedback)."""
    ticket = get_ticket(session, ticket_id, actor=actor, for_update=True)
    if expected_version is not None and ticket.version != expected_version:
        raise VersionConflictError(
            VERSION_CONFLICT, {"version": ticket.version, "given": expected_version}, fields={"version": ticket.version}
        )
    current = TicketStatus(ticket.status)
    target = rules.next_status(event_type, current) if event_type in rules.LIFECYCLE_EVENTS else None
    if target is None:
        allowed = [event.value for event in rules.allowed_events(current)]
        raise InvalidTransitionError(
            N_("工单状态为「%(status)s」时不能执行「%(event)s」"),
            {"status": Label("status", current.value), "event": Label("event", event_type.value)},
            fields={"type": event_type.value, "status": current.value, "allowed": allowed},
        )
    now = clock.now()
    at = at or now
    if at > now + FUTURE_SKEW:
        problem = N_("事件时间不能晚于当前时间")
        raise InvalidTicketError(problem, fields={"at": problem})
    if at < ticket.reported_at:
        problem = N_("事件时间不能早于登记时间")
        raise InvalidTicketError(problem, fields={"at": problem})
    override = guards.check(session, ticket, event_type, actor=actor, data=data, override_reason=override_reason)
    if override is not None:
        guards.record_override(session, clock=clock, actor=actor, ticket=ticket, reason=override, at=at, now=now)
    _apply_sla_effects(session, ticket, event_type, at=at, now=now)
    if event_type == EventType.CONTACT and ticket.first_contact_at is None:
        ticket.first_contact_at = at
    elif event_type == EventType.RESULT:
        ticket.resolved_at = at
    elif event_type == EventType.CLOSE:
        ticket.closed_at = at
    elif event_type == EventType.REOPEN:
        ticket.reopen_count += 1
        ticket.resolved_at = None
        ticket.closed_at = None
    before = {"status": current.value, "version": ticket.version}
    ticket.status = target
    ticket.updated_at = now
    timeline.write_event(
        session,
        ticket,
        event_type,
        at=at,
        now=now,
        actor=actor,
        note=note,
        from_status=current,
        to_status=target,
        data=data,
    )
    sla_tracking.refresh_ticket(session, clock=clock, ticket=ticket, notify=notify)
    session.flush()
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action=f"ticket.{event_type.value}",
        entity_type="ticket",
        entity_id=ticket.id,
        before=before,
        after={"status": target.value, "version": ticket.version},
        note=note,
    )
    return ticket


def _apply_sla_effects(session: Session, ticket: Ticket, event_type: EventType, *, at: datetime, now: datetime) -> None:
    for kind in rules.MEETS.get(event_type, ()):
        sla_service.meet_target(session, ticket_id=ticket.id, kind=kind, at=at, now=now)
    if event_type == EventType.HOLD:
        sla_service.pause_targets(session, ticket_id=ticket.id, at=at, now=now)
    elif event_type == EventType.RESUME:
        sla_service.resume_targets(session, ticket_id=ticket.id, at=at, now=now)
    elif event_type == EventType.REOPEN:
        sla_service.restart_target(session, ticket_id=ticket.id, kind=TargetKind.RESOLUTION, at=at, now=now)
    elif event_type == EventType.CANCEL:
        sla_service.stop_all(session, ticket_id=ticket.id, at=at, now=now)


def add_comment(
    session: Session, *, clock: Clock, actor: Actor, ticket_id: int, body: str, is_internal: bool = True
) -> TicketComment:
    """Add a comment (does not change the ticket's version). A customer's comment is always public: it
    is written to the people handling the ticket, and the customer cannot read internal ones."""
    if not rules.may_comment(actor.role):
        raise PermissionDeniedError(N_("质检员只能查看工单，不能评论"), code="ticket.comment_forbidden")
    get_ticket(session, ticket_id, actor=actor)
    is_internal = is_internal and rules.may_write_internal_comments(actor.role)
    text = body.strip()
    if not text:
        problem = N_("评论不能为空")
        raise InvalidTicketError(problem, fields={"body": problem})
    comment = TicketComment(
        ticket_id=ticket_id,
        author_id=actor.user_id,
        author_name=actor.username,
        body=text,
        is_internal=is_internal,
        created_at=clock.now(),
    )
    session.add(comment)
    session.flush()
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="ticket.comment",
        entity_type="ticket",
        entity_id=ticket_id,
        after={"comment_id": comment.id},
    )
    return comment


def update_ticket(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    ticket_id: int,
    version: int,
    kind: TicketKind | None = None,
    priority: Priority | None = None,
    description: str | None = None,
    assignee_username: str | None = None,
    product_model: str | None = None,
    serial_number: str | None = None,
    notify: bool = True,
    by_hand: bool = True,
) -> Ticket:
    """Edit a ticket; a stale ``version`` is refused with nothing changed. An assignment is a person's
    decision unless ``by_hand`` is False (a day plan, auto-dispatch): day plans keep a person's as fixed.
    ``product_model`` (with ``serial_number``) names the customer's product; an empty model clears it."""
    ticket = get_ticket(session, ticket_id, actor=actor, for_update=True)
    if ticket.version != version:
        raise VersionConflictError(
            VERSION_CONFLICT, {"version": ticket.version, "given": version}, fields={"version": ticket.version}
        )
    if ticket.status in (TicketStatus.CLOSED, TicketStatus.CANCELLED):
        raise InvalidTransitionError(ENDED, fields={"status": ticket.status})
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    now = clock.now()
    if description is not None and description.strip() != ticket.description:
        before["description"], after["description"] = ticket.description, description.strip()
        ticket.description = description.strip()
    if kind is not None and kind != ticket.kind:
        before["kind"], after["kind"] = ticket.kind, kind.value
        ticket.kind = kind
    if priority is not None and priority != ticket.priority:
        before["priority"], after["priority"] = ticket.priority, priority.value
        ticket.priority = priority
    if "kind" in after or "priority" in after:
        _replan_targets(session, ticket, now=now)
    if product_model is not None:
        _change_product(
            session, clock=clock, ticket=ticket, model=product_model, serial=serial_number, changes=(before, after)
        )
    if assignee_username is not None:
        assignee = accounts_service.get_user(session, assignee_username)
        if assignee.id != ticket.assignee_id:
            before["assignee_id"], after["assignee_id"] = ticket.assignee_id, assignee.id
            ticket.assignee_id = assignee.id
            ticket.organisation_id = assignee.organisation_id
            note = f"指派给 {assignee.display_name}（{assignee.username}）"
            data = {
                "assignee": assignee.username,
                "by_hand": by_hand,
                "note_key": "ticket.assigned",
                "note_params": {"name": assignee.display_name, "username": assignee.username},
            }
            timeline.write_event(session, ticket, EventType.ASSIGN, at=now, now=now, actor=actor, note=note, data=data)
    if not after:
        return ticket
    ticket.updated_at = now
    if set(after) - {"assignee_id"}:
        changes = {"before": before, "after": after}
        timeline.write_event(session, ticket, EventType.UPDATE, at=now, now=now, actor=actor, note=None, data=changes)
    sla_tracking.refresh_ticket(session, clock=clock, ticket=ticket, notify=notify)
    session.flush()
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="ticket.updated",
        entity_type="ticket",
        entity_id=ticket.id,
        before=before,
        after=after,
    )
    return ticket


def _change_product(
    session: Session,
    *,
    clock: Clock,
    ticket: Ticket,
    model: str,
    serial: str | None,
    changes: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    """Point the ticket at the customer's product of this model and serial (found, or recorded as theirs);
    a serial already registered to another customer is refused rather than moved."""
    model, serial = model.strip(), (serial or "").strip() or None
    current = ticket.installed_product
    current_serial = current.serial_number if current is not None else None
    if model == (ticket.product_model or "") and serial == current_serial:
        return
    if len(model) > 64 or len(serial or "") > 64:
        problem = N_("不能超过 64 个字符")
        raise InvalidTicketError(problem, fields={"product_model" if len(model) > 64 else "serial_number": problem})
    product_id = None
    if model:
        product_id = customers_service.ensure_product(
            session, clock=clock, customer_id=ticket.customer_id, model=model, serial_number=serial
        ).id
        owner = session.scalar(select(InstalledProduct.customer_id).where(InstalledProduct.id == product_id))
        if owner != ticket.customer_id:
            problem = N_("该序列号已登记在其他客户名下")
            raise InvalidTicketError(problem, fields={"serial_number": problem})
    elif serial is not None:
        problem = N_("填写序列号时请同时填写产品型号")
        raise InvalidTicketError(problem, fields={"product_model": problem})
    before, after = changes
    before["product"] = {"model": ticket.product_model, "serial_number": current_serial}
    after["product"] = {"model": model or None, "serial_number": serial}
    ticket.product_model = model or None
    ticket.installed_product_id = product_id
    # The loaded relationship would still show the old product until the ticket is read again.
    session.expire(ticket, ["installed_product"])


def _replan_targets(session: Session, ticket: Ticket, *, now: datetime) -> None:
    """After a kind/priority change, unmet targets follow the new policy (counted from registration)."""
    sla_service.replan_targets(
        session, ticket_id=ticket.id, priority=ticket.priority, ticket_kind=ticket.kind, start=ticket.reported_at
    )
    session.expire(ticket, ["sla_targets"])
    if ticket.status != TicketStatus.REGISTERED:
        sla_service.meet_target(
            session, ticket_id=ticket.id, kind=TargetKind.FIRST_RESPONSE, at=ticket.first_contact_at or now, now=now
        )
