"""The closed loop's guards on a lifecycle move: a result on an on-site ticket needs a check-in since the last
reopen (or a supervisor's recorded override), and a 回访 needs the visit that records it. ``service.apply_event``
applies them; the console and dispatch ask ``needs_check_in`` / ``awaits_check_in``. Flushes, never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.errors import PermissionDeniedError
from aftersales.core.i18n import N_
from aftersales.customers import service as customers_service
from aftersales.tickets import rules, timeline
from aftersales.tickets.enums import EventType
from aftersales.tickets.errors import CheckInRequiredError, InvalidTicketError, VisitRequiredError
from aftersales.tickets.models import Ticket, TicketEvent


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


def check(
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


def record_override(
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
