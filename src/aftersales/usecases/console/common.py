"""Helpers shared by the ticket console pages: SLA badges with countdowns, form errors, caller history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.core.timeutil import to_local
from aftersales.customers import rules as customer_rules
from aftersales.customers import service as customers_service
from aftersales.customers.models import Customer
from aftersales.sla.enums import SlaState
from aftersales.tickets.models import Ticket
from aftersales.tickets.rules import OPEN_STATUSES

Gettext = Callable[[str], str]


@dataclass(frozen=True)
class SlaBadge:
    """One SLA target as a coloured badge: its state, due time and the time left (or overdue)."""

    kind: str
    state: str
    due_at: datetime
    countdown: str


def duration_text(seconds: float, _: Gettext) -> str:
    """2天3小时 / 2小时5分 / 12分钟 (rounded down to the minute)."""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)d天%(h)d小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d小时%(m)d分") % {"h": hours, "m": minutes}
    return _("%(m)d分钟") % {"m": minutes}


def countdown_text(state: str, due_at: datetime, now: datetime, _: Gettext) -> str:
    """What a badge says next to its state: time left, time overdue, or nothing once met or paused."""
    if state in (SlaState.MET, SlaState.PAUSED):
        return ""
    left = (due_at - now).total_seconds()
    if left >= 0:
        return _("剩余 %(time)s") % {"time": duration_text(left, _)}
    return _("超时 %(time)s") % {"time": duration_text(-left, _)}


def sla_badges(ticket: Ticket, now: datetime, _: Gettext) -> list[SlaBadge]:
    """The ticket's targets as badges, in due order."""
    return [
        SlaBadge(
            kind=str(target.kind),
            state=str(target.state),
            due_at=target.due_at,
            countdown=countdown_text(str(target.state), target.due_at, now, _),
        )
        for target in sorted(ticket.sla_targets, key=lambda target: target.due_at)
    ]


def next_due(ticket: Ticket, now: datetime, _: Gettext) -> SlaBadge | None:
    """The most pressing open target (for lists), or None when every target is met."""
    pending = [badge for badge in sla_badges(ticket, now, _) if badge.state not in (SlaState.MET,)]
    if not pending:
        return None
    breached = [badge for badge in pending if badge.state == SlaState.BREACHED]
    return breached[0] if breached else pending[0]


def pydantic_fields(error: ValidationError, _: Gettext, aliases: dict[str, str] | None = None) -> dict[str, str]:
    """Field name → Chinese message for a validation error (first message per field)."""
    fields: dict[str, str] = {}
    for item in error.errors():
        name = ".".join(str(part) for part in item.get("loc", ()))
        name = (aliases or {}).get(name, name)
        message = str(item.get("msg", "")).removeprefix("Value error, ")
        kind = item.get("type", "")
        if kind in ("missing", "string_too_short"):
            message = _("此项必填")
        elif kind == "string_too_long":
            message = _("内容过长")
        elif kind in ("enum", "literal_error"):
            message = _("请选择有效的选项")
        elif kind.startswith("date"):
            message = _("日期格式应为 年-月-日")
        fields.setdefault(name, _(message))
    return fields


@dataclass(frozen=True)
class CallerHistory:
    """What the agent sees about a caller before opening a ticket."""

    customer: Customer
    phone_masked: str
    ticket_count: int
    open_count: int
    recent: list[Ticket]
    today: Any

    @property
    def is_repeat_caller(self) -> bool:
        return self.ticket_count > 0


def caller_history(session: Session, phone: str, now: datetime, *, recent: int = 5) -> CallerHistory | None:
    """The customer with this phone, their products and latest tickets; None for a new caller."""
    customer = customers_service.find_by_phone(session, phone)
    if customer is None:
        return None
    total, open_count = session.execute(
        select(func.count(Ticket.id), func.count(Ticket.id).filter(Ticket.status.in_(OPEN_STATUSES))).where(
            Ticket.customer_id == customer.id
        )
    ).one()
    latest = list(
        session.scalars(
            select(Ticket).where(Ticket.customer_id == customer.id).order_by(Ticket.reported_at.desc()).limit(recent)
        ).unique()
    )
    return CallerHistory(
        customer=customer,
        phone_masked=customer_rules.mask_phone(customer.phone),
        ticket_count=total,
        open_count=open_count,
        recent=latest,
        today=to_local(now).date(),
    )


def under_warranty(warranty_end: Any, today: Any) -> bool | None:
    """True/False when the warranty end is known, else None."""
    return customer_rules.is_under_warranty(warranty_end, today) if warranty_end else None
