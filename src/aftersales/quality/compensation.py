"""Proactive compensation: rules propose it (SLA breached, repeat repair within 30 days), staff record it
in the ledger, someone whose role's limit covers the amount approves or rejects it, and it is marked
granted once issued. Every step is audited; refusals change nothing. Flushes, never commits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts import rules as account_rules
from aftersales.accounts import service as accounts_service
from aftersales.accounts.enums import Permission
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.db import get_for_update
from aftersales.core.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from aftersales.core.i18n import N_, Joined, Message
from aftersales.core.pagination import MAX_LIMIT, Page
from aftersales.quality import rules
from aftersales.quality.models import Compensation
from aftersales.sla.enums import SlaState
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import TicketKind, TicketStatus
from aftersales.tickets.models import Ticket

STATUSES = ("proposed", "approved", "rejected", "granted")


@dataclass(frozen=True)
class Proposal:
    """A rule's suggestion for a ticket, and the ledger entry already made for it, if any."""

    rule: str
    kind: str
    amount_cents: int
    reason: str
    existing_id: int | None
    existing_status: str | None


def _require_staff(actor: Actor) -> None:
    if not account_rules.has_permission(actor.role, Permission.COMPENSATION_PROPOSE):
        raise PermissionDeniedError(N_("只有客服、调度、经理或管理员可以处理补偿"), code="compensation.forbidden")


def facts_for(session: Session, ticket: Ticket) -> rules.CompensationFacts:
    """What the compensation rules need to know about a ticket."""
    breached = ticket.sla_state == SlaState.BREACHED or any(t.breached_at is not None for t in ticket.sla_targets)
    previous = None
    if ticket.kind == TicketKind.REPAIR and (ticket.installed_product_id or ticket.product_model):
        same_product = (
            Ticket.installed_product_id == ticket.installed_product_id
            if ticket.installed_product_id is not None
            else Ticket.product_model == ticket.product_model
        )
        previous = session.scalar(
            select(Ticket.number)
            .where(
                Ticket.customer_id == ticket.customer_id,
                Ticket.id != ticket.id,
                Ticket.kind == TicketKind.REPAIR,
                same_product,
                Ticket.closed_at >= ticket.reported_at - rules.REPEAT_REPAIR_WINDOW,
                Ticket.closed_at <= ticket.reported_at,
            )
            .order_by(Ticket.closed_at.desc(), Ticket.id.desc())
            .limit(1)
        )
    return rules.CompensationFacts(ticket_kind=ticket.kind, sla_breached=breached, previous_repair_number=previous)


def proposals_for(session: Session, *, actor: Actor, ticket_id: int) -> list[Proposal]:
    """What the rules suggest for the ticket, with any ledger entry already made for each rule."""
    _require_staff(actor)
    ticket = tickets_service.get_ticket(session, ticket_id, actor=actor)
    recorded = {
        entry.rule: entry
        for entry in session.scalars(
            select(Compensation)
            .where(Compensation.ticket_id == ticket.id, Compensation.rule.is_not(None))
            .order_by(Compensation.id)
        )
    }
    return [
        Proposal(
            rule=rule.code,
            kind=rule.kind,
            amount_cents=rule.amount_cents,
            reason=rule.reason,
            existing_id=recorded[rule.code].id if rule.code in recorded else None,
            existing_status=recorded[rule.code].status if rule.code in recorded else None,
        )
        for rule in rules.propose(facts_for(session, ticket))
    ]


def propose_compensation(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    ticket_id: int,
    kind: str,
    amount_cents: int,
    reason: str,
    rule: str | None = None,
) -> Compensation:
    """Record a proposed compensation in the ledger; bad input or a second live entry for the same rule
    changes nothing."""
    _require_staff(actor)
    # The ticket row is locked: two proposals under one rule cannot both find no live entry.
    ticket = tickets_service.get_ticket(session, ticket_id, actor=actor, for_update=True)
    problems = rules.compensation_problems(kind=kind, amount_cents=amount_cents, reason=reason)
    if rule is not None and rule not in rules.COMPENSATION_RULES:
        problems["rule"] = Message(N_("未知的补偿规则：%(rule)s"), {"rule": rule})
    if ticket.status == TicketStatus.CANCELLED:
        problems["ticket_id"] = N_("已取消的工单不能补偿")
    if problems:
        raise InvalidInputError(Joined(problems.values()), code="compensation.invalid", fields=problems)
    if rule is not None:
        live = session.scalar(
            select(Compensation.id).where(
                Compensation.ticket_id == ticket.id, Compensation.rule == rule, Compensation.status != "rejected"
            )
        )
        if live is not None:
            raise ConflictError(
                N_("该工单已按此规则登记过补偿"), code="compensation.duplicate", fields={"compensation_id": live}
            )
    entry = Compensation(
        ticket_id=ticket.id,
        customer_id=ticket.customer_id,
        kind=kind,
        amount_cents=amount_cents,
        reason=reason.strip(),
        rule=rule,
        status="proposed",
        proposed_by=actor.username,
        proposed_by_id=actor.user_id,
        created_at=clock.now(),
    )
    session.add(entry)
    session.flush()
    _audit(session, clock, actor, entry, "compensation.proposed", before=None)
    return entry


def get_compensation(session: Session, compensation_id: int, *, for_update: bool = False) -> Compensation:
    """One ledger entry (``for_update``: locked, to decide on it)."""
    entry = (
        get_for_update(session, Compensation, compensation_id)
        if for_update
        else session.get(Compensation, compensation_id)
    )
    if entry is None:
        raise NotFoundError(N_("补偿记录 %(id)s 不存在"), {"id": compensation_id}, code="compensation.not_found")
    return entry


def decide(
    session: Session, *, clock: Clock, actor: Actor, compensation_id: int, approve: bool, note: str | None = None
) -> Compensation:
    """Approve or reject a proposal; the amount must be within the actor's role limit (403 otherwise,
    nothing changed)."""
    entry = get_compensation(session, compensation_id, for_update=True)
    problem = rules.approval_problem(actor.role, entry.amount_cents)
    if problem == "forbidden":
        raise PermissionDeniedError(
            N_("角色 %(role)s 无权审批补偿"), {"role": actor.role.value}, code="compensation.forbidden"
        )
    if problem == "over_limit":
        limit = rules.APPROVAL_LIMITS_CENTS[actor.role] or 0
        raise PermissionDeniedError(
            N_("补偿金额 %(amount)s 超出您的审批额度 %(limit)s"),
            {"amount": rules.yuan(entry.amount_cents), "limit": rules.yuan(limit)},
            code="compensation.over_limit",
            fields={"amount_cents": entry.amount_cents, "limit_cents": limit},
        )
    if entry.proposed_by_id is not None and entry.proposed_by_id == actor.user_id:
        # Four eyes: whoever proposed a compensation cannot also approve or reject it.
        raise PermissionDeniedError(N_("不能审批自己提出的补偿"), code="compensation.own_proposal")
    if entry.status != "proposed":
        raise ConflictError(N_("该补偿已审批"), code="compensation.already_decided", fields={"status": entry.status})
    text = (note or "").strip() or None
    if text is not None and len(text) > 500:
        raise InvalidInputError(N_("审批意见不能超过 500 字"), code="compensation.invalid", fields={"note": "过长"})
    entry.status = "approved" if approve else "rejected"
    entry.decided_by, entry.decided_at, entry.decision_note = actor.username, clock.now(), text
    session.flush()
    _audit(session, clock, actor, entry, f"compensation.{entry.status}", before="proposed")
    return entry


def grant(session: Session, *, clock: Clock, actor: Actor, compensation_id: int) -> Compensation:
    """Mark an approved compensation as issued to the customer."""
    _require_staff(actor)
    entry = get_compensation(session, compensation_id, for_update=True)
    if entry.status != "approved":
        raise ConflictError(
            N_("只有已批准的补偿可以发放"), code="compensation.not_approved", fields={"status": entry.status}
        )
    entry.status, entry.granted_by, entry.granted_at = "granted", actor.username, clock.now()
    session.flush()
    _audit(session, clock, actor, entry, "compensation.granted", before="approved")
    return entry


def list_compensations(
    session: Session,
    *,
    actor: Actor,
    status: str | None = None,
    ticket_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[Compensation]:
    """The ledger, newest first."""
    if not account_rules.has_permission(actor.role, Permission.COMPENSATION_READ):
        raise PermissionDeniedError(N_("无权查看补偿台账"), code="compensation.forbidden")
    problems: dict[str, str] = {}
    if status is not None and status not in STATUSES:
        problems["status"] = Message(N_("状态须为：%(statuses)s"), {"statuses": "、".join(STATUSES)})
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        problems["limit"] = Message(N_("limit 须在 1 到 %(max)s 之间，offset 不能为负数"), {"max": MAX_LIMIT})
    if problems:
        raise InvalidInputError(Joined(problems.values()), code="compensation.invalid", fields=problems)
    query = select(Compensation)
    if status is not None:
        query = query.where(Compensation.status == status)
    if ticket_id is not None:
        query = query.where(Compensation.ticket_id == ticket_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(Compensation.id.desc()).limit(limit).offset(offset)).all()
    return Page(items=list(items), total=total, limit=limit, offset=offset)


def _audit(
    session: Session, clock: Clock, actor: Actor, entry: Compensation, action: str, *, before: str | None
) -> None:
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action=action,
        entity_type="compensation",
        entity_id=entry.id,
        before={"status": before} if before else None,
        after={
            "status": entry.status,
            "ticket_id": entry.ticket_id,
            "kind": entry.kind,
            "amount_cents": entry.amount_cents,
        },
        note=entry.decision_note if action in ("compensation.approved", "compensation.rejected") else None,
    )
