"""Ticket use cases: create, find, move through the lifecycle, edit, comment, and record another package's
timeline event (``record_event``). The timeline itself is in ``timeline``, who sees what and the search
in ``search``. Flushes, never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import bindparam, func, select, union
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.models import User
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.db import core_connection
from aftersales.core.errors import PermissionDeniedError
from aftersales.core.i18n import N_, Label
from aftersales.core.pagination import COUNT_LIMIT, MAX_LIMIT, Page
from aftersales.core.prepared import Prepared
from aftersales.customers import service as customers_service
from aftersales.customers.models import Customer
from aftersales.sla import service as sla_service
from aftersales.sla.enums import SlaState, TargetKind
from aftersales.tickets import intake, rules, search, sla_tracking, timeline
from aftersales.tickets.enums import EventType, Priority, TicketKind, TicketStatus
from aftersales.tickets.errors import (
    CheckInRequiredError,
    InvalidTicketError,
    InvalidTransitionError,
    TicketNotFoundError,
    VersionConflictError,
    VisitRequiredError,
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
    override = _guard(session, ticket, event_type, actor=actor, data=data, override_reason=override_reason)
    if override is not None:
        _record_override(session, clock=clock, actor=actor, ticket=ticket, reason=override, at=at, now=now)
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


def needs_check_in(session: Session, ticket: Ticket) -> bool:
    """Whether the ticket's result needs a check-in (an on-site kind, not at a counter, not a mail-in model)."""
    catalogued = customers_service.get_product_model(session, ticket.product_model) if ticket.product_model else None
    onsite_product = catalogued is None or catalogued.is_onsite_service
    return rules.needs_check_in(ticket.kind, ticket.channel, is_onsite_product=onsite_product)


def has_check_in(session: Session, ticket_id: int) -> bool:
    """Whether someone checked in on site since the ticket was last reopened."""
    types = session.scalars(
        select(TicketEvent.type)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.type.in_((EventType.CHECK_IN, EventType.REOPEN)))
        .order_by(TicketEvent.at, TicketEvent.id)
    )
    return rules.checked_in_since_reopen(types)


def awaits_check_in(session: Session, ticket: Ticket) -> bool:
    """Whether a result now would be refused for want of a check-in (the console offers the override)."""
    return needs_check_in(session, ticket) and not has_check_in(session, ticket.id)


def _guard(
    session: Session,
    ticket: Ticket,
    event_type: EventType,
    *,
    actor: Actor,
    data: dict[str, Any] | None,
    override_reason: str | None,
) -> str | None:
    """Refuse a result without a check-in, or a 回访 without its visit; returns the override reason to
    record when a supervisor let the result through."""
    if event_type == EventType.RETURN_VISIT and not (data or {}).get("visit_id"):
        problem = N_("回访须通过回访记录登记：在回访队列中记录通话或客户评价")
        raise VisitRequiredError(problem, fields={"type": event_type.value, "visit": N_("没有回访记录")})
    if event_type != EventType.RESULT or not needs_check_in(session, ticket):
        return None
    if has_check_in(session, ticket.id):
        return None
    if override_reason is None:
        problem = N_("上门类工单须先由技术员上门签到，才能反馈结果")
        raise CheckInRequiredError(problem, fields={"type": event_type.value, "check_in": N_("尚未上门签到")})
    if not rules.may_override(actor.role):
        raise PermissionDeniedError(N_("只有主管可以在未签到时放行结果"), code="ticket.override_forbidden")
    reason = override_reason.strip()
    if not reason:
        problem = N_("请填写未签到即反馈结果的原因")
        raise InvalidTicketError(problem, fields={"override_reason": problem})
    if len(reason) > rules.MAX_OVERRIDE_REASON:
        problem = N_("原因不能超过 %(max)s 个字")
        raise InvalidTicketError(
            problem, {"max": rules.MAX_OVERRIDE_REASON}, fields={"override_reason": rules.MAX_OVERRIDE_REASON}
        )
    return reason


def _record_override(
    session: Session, *, clock: Clock, actor: Actor, ticket: Ticket, reason: str, at: datetime, now: datetime
) -> None:
    """The supervisor's override: a timeline event and an audit row saying who let it through and why."""
    data = {"reason": reason, "note_key": "ticket.check_in_override", "note_params": {"reason": reason}}
    note = f"未上门签到即反馈结果（主管放行）：{reason}"
    timeline.write_event(
        session, ticket, EventType.CHECK_IN_OVERRIDE, at=at, now=now, actor=actor, note=note, data=data
    )
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="ticket.check_in_override",
        entity_type="ticket",
        entity_id=ticket.id,
        after={"reason": reason, "status": str(ticket.status)},
        note=reason,
    )


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
    notify: bool = True,
    by_hand: bool = True,
) -> Ticket:
    """Edit a ticket; a stale ``version`` is refused with nothing changed. An assignment is a person's
    decision unless ``by_hand`` is False (a day plan, auto-dispatch): day plans keep a person's as fixed."""
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


def unassign_ticket(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    ticket_id: int,
    note: str,
    event_type: str = EventType.ASSIGN,
    data: dict[str, Any] | None = None,
) -> Ticket:
    """Take the ticket off its assignee (and their organisation): it goes back to the dispatcher queue.
    The reason is on the timeline (an ``assign`` event, or a registered type such as dispatch's
    ``decline``)."""
    timeline.require_registered(event_type)
    ticket = get_ticket(session, ticket_id, actor=actor, for_update=True)
    if ticket.assignee_id is None:
        raise InvalidTransitionError(N_("工单尚未指派"), fields={"assignee": None})
    if ticket.status in (TicketStatus.CLOSED, TicketStatus.CANCELLED):
        raise InvalidTransitionError(ENDED, fields={"status": ticket.status})
    now = clock.now()
    previous = assignee_names(session, {ticket.assignee_id}).get(ticket.assignee_id)
    before = {"assignee_id": ticket.assignee_id, "organisation_id": ticket.organisation_id, "version": ticket.version}
    ticket.assignee_id = None
    ticket.organisation_id = None
    ticket.updated_at = now
    data = {"previous_assignee": previous, **(data or {})}
    timeline.write_event(session, ticket, event_type, at=now, now=now, actor=actor, note=note, data=data)
    session.flush()
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="ticket.unassigned",
        entity_type="ticket",
        entity_id=ticket.id,
        before=before,
        after={"assignee_id": None, "organisation_id": None, "version": ticket.version},
        note=note,
    )
    return ticket


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


def list_tickets(
    session: Session,
    *,
    actor: Actor,
    status: TicketStatus | None = None,
    priority: Priority | None = None,
    kind: TicketKind | None = None,
    sla_state: SlaState | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[Ticket]:
    """Tickets visible to the actor, newest first, filtered and paged."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidTicketError(N_("limit 须在 1 到 %(max)s 之间"), {"max": MAX_LIMIT}, fields={"limit": limit})
    if offset < 0:
        raise InvalidTicketError(N_("offset 不能为负数"), fields={"offset": offset})
    chosen = search.selection(actor=actor, status=status, priority=priority, kind=kind, sla_state=sla_state, q=q)
    chosen.alternatives = [_resolve_customers(session, alternative) for alternative in chosen.alternatives]
    # Counted up to COUNT_LIMIT + 1 rows at most: never a count of every ticket on each request.
    counted = _matching(chosen, per_branch=COUNT_LIMIT + 1).limit(COUNT_LIMIT + 1).subquery()
    total = session.scalar(select(func.count()).select_from(counted)) or 0
    ordered = _matching(chosen, per_branch=offset + limit).subquery()
    ids = list(
        session.scalars(
            select(ordered.c.id).order_by(ordered.c.reported_at.desc(), ordered.c.id.desc()).limit(limit).offset(offset)
        )
    )
    items = list(session.scalars(select(Ticket).where(Ticket.id.in_(ids)))) if ids else []
    position = {ticket_id: index for index, ticket_id in enumerate(ids)}
    items.sort(key=lambda ticket: position[ticket.id])
    return Page(items=items, total=total, limit=limit, offset=offset)


def _resolve_customers(session: Session, alternative: search.Alternative) -> search.Alternative:
    """Look the alternative's customers up first when there are not too many (see ``search.Alternative``)."""
    if alternative.customers is None:
        return alternative
    limit = search.CUSTOMER_LOOKUP_LIMIT
    found = list(session.scalars(select(Customer.id).where(alternative.customers).limit(limit + 1)))
    return alternative if len(found) > limit else search.by_customers(alternative, found)


def _matching(chosen: search.Selection, *, per_branch: int) -> Any:
    """(id, reported_at) of the selected tickets: one query, or a UNION of one per search alternative.

    Each branch of a UNION gives only its newest ``per_branch`` rows (all a page or a bounded count can
    need), so a fragment that matches millions of numbers is never read whole to be deduplicated."""
    branches = chosen.alternatives or [search.Alternative([])]
    queries = []
    for alternative in branches:
        query = select(Ticket.id, Ticket.reported_at)
        if chosen.joins_customer or alternative.joins_customer:
            query = query.join(Customer, Customer.id == Ticket.customer_id)
        queries.append(query.where(*chosen.conditions, *alternative.conditions))
    if len(queries) == 1:
        return queries[0]
    newest = [
        query.order_by(Ticket.reported_at.desc(), Ticket.id.desc()).limit(per_branch).subquery() for query in queries
    ]
    return union(*(select(branch.c.id, branch.c.reported_at) for branch in newest))


def assignee_names(session: Session, user_ids: set[int]) -> dict[int, str]:
    """Usernames for a set of user ids."""
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(user_ids))).all()
    return {user_id: username for user_id, username in rows}
