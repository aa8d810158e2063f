"""How a ticket's SLA targets show on console screens (badges with countdowns), shared by every
package's pages that list tickets. Pure: takes the translation function and ``now``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aftersales.sla import service as sla_service
from aftersales.sla.enums import SlaState
from aftersales.tickets.models import Ticket

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
    """The ticket's targets as badges, in due order, in their state at ``now``: a page refreshed between
    two sweeps shows a target that came due as late (the stored state waits for the sweep)."""
    badges = []
    for target in sorted(ticket.sla_targets, key=lambda target: target.due_at):
        state = str(sla_service.state_at(target, now))
        badges.append(
            SlaBadge(
                kind=str(target.kind),
                state=state,
                due_at=target.due_at,
                countdown=countdown_text(state, target.due_at, now, _),
            )
        )
    return badges


def next_due(ticket: Ticket, now: datetime, _: Gettext) -> SlaBadge | None:
    """The most pressing open target (for lists), or None when every target is met."""
    pending = [badge for badge in sla_badges(ticket, now, _) if badge.state not in (SlaState.MET,)]
    if not pending:
        return None
    breached = [badge for badge in pending if badge.state == SlaState.BREACHED]
    return breached[0] if breached else pending[0]
