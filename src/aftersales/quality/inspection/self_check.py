"""The technician's self-check at completion: configurable checklist items (the built-in defaults until
any is configured), one record per visit, on the timeline."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts import rules as account_rules
from aftersales.accounts import service as accounts_service
from aftersales.accounts.enums import Permission
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.errors import ConflictError, InvalidInputError, PermissionDeniedError
from aftersales.core.i18n import N_, Joined
from aftersales.quality import rules
from aftersales.quality.enums import EVENT_OWNER, QualityEventType
from aftersales.quality.models import ChecklistItem, SelfCheck
from aftersales.tickets import events as ticket_events
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import EventType, TicketStatus
from aftersales.tickets.models import TicketEvent

ticket_events.register_event_types(EVENT_OWNER, QualityEventType)

SELF_CHECK_STATUSES = frozenset({TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED})


def checklist(session: Session, *, kind: str | None = None) -> list[rules.CheckItem]:
    """The configured self-check items (the built-in defaults until any is configured), in order."""
    rows = session.scalars(select(ChecklistItem)).all()
    items = (
        [
            rules.CheckItem(
                row.code, row.label, row.group, tuple(row.applies_to), row.is_required, row.is_active, row.sort_order
            )
            for row in rows
        ]
        if rows
        else list(rules.DEFAULT_CHECKLIST)
    )
    if kind is not None:
        return rules.applicable_items(items, kind)
    return sorted((item for item in items if item.is_active), key=lambda item: (item.sort_order, item.code))


def seed_checklist(session: Session, *, clock: Clock) -> int:
    """Store the default items that are not configured yet (idempotent); returns how many were added."""
    existing = set(session.scalars(select(ChecklistItem.code)))
    added = [item for item in rules.DEFAULT_CHECKLIST if item.code not in existing]
    for item in added:
        session.add(
            ChecklistItem(
                code=item.code,
                label=item.label,
                group=item.group,
                applies_to=list(item.applies_to),
                is_required=item.is_required,
                is_active=item.is_active,
                sort_order=item.sort_order,
                created_at=clock.now(),
            )
        )
    session.flush()
    return len(added)


def record_self_check(
    session: Session, *, clock: Clock, actor: Actor, ticket_id: int, answers: dict[str, Any], note: str | None = None
) -> SelfCheck:
    """The technician ticks the checklist at completion of a visit; bad input changes nothing."""
    ticket = tickets_service.get_ticket(session, ticket_id, actor=actor, for_update=True)
    # The field roles' own tickets only: get_ticket above already narrowed them to those.
    if not account_rules.has_permission(actor.role, Permission.QUALITY_SELF_CHECK):
        raise PermissionDeniedError(N_("只有上门技师或客服可以登记服务自检"), code="quality.forbidden")
    if ticket.status not in SELF_CHECK_STATUSES:
        raise ConflictError(
            N_("只有处理中或已反馈结果的工单可以登记自检"),
            code="quality.invalid_state",
            fields={"status": ticket.status},
        )
    items = checklist(session, kind=ticket.kind)
    if not items:
        raise ConflictError(N_("此类工单没有自检项"), code="quality.not_applicable", fields={"kind": ticket.kind})
    text = (note or "").strip() or None
    problems = rules.self_check_problems(items, answers)
    if text is not None and len(text) > 1000:
        problems["note"] = N_("备注不能超过 1000 字")
    if problems:
        raise InvalidInputError(
            N_("自检内容有误：%(problems)s"),
            {"problems": Joined(problems.values())},
            code="quality.invalid",
            fields=problems,
        )
    visit = session.scalar(
        select(TicketEvent.id)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.type == EventType.CHECK_IN)
        .order_by(TicketEvent.at.desc(), TicketEvent.id.desc())
        .limit(1)
    )
    duplicate = select(SelfCheck.id).where(SelfCheck.ticket_id == ticket.id)
    duplicate = duplicate.where(
        SelfCheck.check_in_event_id == visit if visit is not None else SelfCheck.check_in_event_id.is_(None)
    )
    if session.scalar(duplicate) is not None:
        raise ConflictError(
            N_("本次上门已登记过自检"), code="quality.self_check_exists", fields={"ticket_id": ticket.id}
        )
    passed = sum(1 for value in answers.values() if value)
    record = SelfCheck(
        ticket_id=ticket.id,
        check_in_event_id=visit,
        technician_id=ticket.assignee_id,
        answers=dict(answers),
        passed_items=passed,
        total_items=len(answers),
        note=text,
        recorded_by=actor.username,
        at=clock.now(),
    )
    session.add(record)
    session.flush()
    missed = [item.label for item in items if answers.get(item.code) is False]
    tickets_service.record_event(
        session,
        clock=clock,
        actor=actor,
        ticket=ticket,
        event_type=QualityEventType.SELF_CHECK,
        note=f"服务自检 {passed}/{len(answers)} 项" + (f"，未做到：{'、'.join(missed)}" if missed else "，全部做到"),
        data={
            "self_check_id": record.id,
            "missed": [code for code, value in answers.items() if not value],
            "note_key": "quality.self_check_missed" if missed else "quality.self_check_all",
            "note_params": {"passed": passed, "total": len(answers), "missed": {"join": "、", "items": missed}},
        },
    )
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="quality.self_check",
        entity_type="ticket",
        entity_id=ticket.id,
        after={"self_check_id": record.id, "passed": passed, "total": len(answers)},
    )
    return record


def self_checks_of(session: Session, ticket_id: int) -> list[SelfCheck]:
    """A ticket's self-checks, oldest first."""
    return list(session.scalars(select(SelfCheck).where(SelfCheck.ticket_id == ticket_id).order_by(SelfCheck.id)))
