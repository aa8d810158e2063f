"""Visits flagged for the inspector: a check-in far from the customer's address, a stay shorter than the
minimum. Raised by the job flow (check-in, check-out), listed and reviewed by the inspector (the review
clears the flag, audited), and left out of first-time-fix until reviewed. Flushes, never commits."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from aftersales.accounts.models import User
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.db import get_for_update
from aftersales.core.i18n import N_
from aftersales.core.pagination import MAX_LIMIT, Page
from aftersales.dispatch.enums import FieldEventType
from aftersales.dispatch.errors import InvalidDispatchInputError, VisitFlagNotFoundError, VisitFlagReviewedError
from aftersales.dispatch.fieldwork import common
from aftersales.dispatch.fieldwork import rules as field_rules
from aftersales.dispatch.fieldwork.models import VisitFlag
from aftersales.dispatch.fieldwork.rules import FlagReason
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import EventType, TicketKind, TicketStatus
from aftersales.tickets.models import Ticket, TicketEvent

FlagState = Literal["open", "reviewed"]
FLAG_STATES: tuple[FlagState, ...] = ("open", "reviewed")
MAX_REVIEW_NOTE = 500


def raise_flags(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    ticket: Ticket,
    check_in: TicketEvent,
    reasons: Sequence[FlagReason],
    distance_km: float | None = None,
    minutes_on_site: int | None = None,
) -> VisitFlag | None:
    """Flag the visit that began with ``check_in`` (adding to its flag when it has one); None when there
    is nothing to flag. A reviewed flag raised again (the stay after a far check-in) is open again."""
    if not reasons:
        return None
    flag = session.scalar(select(VisitFlag).where(VisitFlag.check_in_event_id == check_in.id))
    now = clock.now()
    if flag is None:
        flag = VisitFlag(
            ticket_id=ticket.id,
            check_in_event_id=check_in.id,
            technician_id=check_in.actor_id,
            technician_name=check_in.actor_name,
            reasons=[],
            flagged_at=now,
        )
        session.add(flag)
    flag.reasons = sorted({*flag.reasons, *(reason.value for reason in reasons)})
    if distance_km is not None:
        flag.distance_km = distance_km
    if minutes_on_site is not None:
        flag.minutes_on_site = minutes_on_site
    flag.reviewed_at = flag.reviewed_by = flag.review_note = None
    session.flush()
    common.audit(
        session,
        clock=clock,
        actor=actor,
        ticket=ticket,
        action="visit_flag.raised",
        after={"flag_id": flag.id, "reasons": flag.reasons, "distance_km": distance_km, "minutes": minutes_on_site},
    )
    return flag


def review(session: Session, *, clock: Clock, actor: Actor, flag_id: int, note: str | None) -> VisitFlag:
    """The inspector has looked at the visit: the flag is cleared (on the timeline and in the audit trail)
    and the job counts for first-time-fix again. A flag reviewed already is refused (409)."""
    flag = get_for_update(session, VisitFlag, flag_id)
    if flag is None:
        raise VisitFlagNotFoundError(N_("待复核记录 %(flag)s 不存在"), {"flag": flag_id})
    ticket = tickets_service.get_ticket(session, flag.ticket_id, actor=actor)
    if flag.reviewed_at is not None:
        raise VisitFlagReviewedError(N_("该上门记录已复核"), fields={"reviewed_by": flag.reviewed_by})
    text = (note or "").strip() or None
    if text is not None and len(text) > MAX_REVIEW_NOTE:
        problem = N_("复核说明不能超过 500 个字")
        raise InvalidDispatchInputError(problem, fields={"note": problem})
    now = clock.now()
    before = {"reviewed_at": None, "reasons": list(flag.reasons)}
    flag.reviewed_at, flag.reviewed_by, flag.review_note = now, actor.username, text
    common.record(
        session,
        clock=clock,
        actor=actor,
        ticket=ticket,
        event_type=FieldEventType.VISIT_REVIEWED,
        note="质检已复核上门记录" + (f"：{text}" if text else ""),
        data={"flag_id": flag.id, "reasons": list(flag.reasons), "before": before},
        note_key="fieldwork.visit_reviewed_with_note" if text else "fieldwork.visit_reviewed",
        note_params={"note": text or ""},
    )
    return flag


def get_flag(session: Session, flag_id: int) -> VisitFlag:
    """One flagged visit (404 when there is none)."""
    flag = session.get(VisitFlag, flag_id)
    if flag is None:
        raise VisitFlagNotFoundError(N_("待复核记录 %(flag)s 不存在"), {"flag": flag_id})
    return flag


def flagged_technicians(session: Session) -> list[tuple[str, str]]:
    """(username, display name) of every technician with a flagged visit, by username: the list's filter."""
    rows = session.execute(
        select(VisitFlag.technician_name, func.max(User.display_name))
        .outerjoin(User, User.id == VisitFlag.technician_id)
        .group_by(VisitFlag.technician_name)
        .order_by(VisitFlag.technician_name)
    ).all()
    return [(username, display or username) for username, display in rows]


def ticket_numbers(session: Session, ticket_ids: Collection[int]) -> dict[int, str]:
    """The numbers of the flagged visits' tickets, by ticket id (one query for a page of the list)."""
    if not ticket_ids:
        return {}
    rows = session.execute(select(Ticket.id, Ticket.number).where(Ticket.id.in_(set(ticket_ids))))
    return {ticket_id: number for ticket_id, number in rows}


def flags_of(session: Session, ticket_id: int) -> list[VisitFlag]:
    """A ticket's flagged visits, oldest first."""
    return list(session.scalars(select(VisitFlag).where(VisitFlag.ticket_id == ticket_id).order_by(VisitFlag.id)))


def list_flags(
    session: Session,
    *,
    state: str | None = "open",
    technician: str | None = None,
    reason: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[VisitFlag]:
    """Flagged visits, newest first: the open ones (the inspector's list), the reviewed ones, or all; by
    technician (username) and by reason."""
    if state is not None and state not in FLAG_STATES:
        raise InvalidDispatchInputError(N_("未知的复核状态 %(state)s"), {"state": state}, fields={"state": state})
    if reason is not None and reason not in {item.value for item in FlagReason}:
        raise InvalidDispatchInputError(N_("未知的标记原因 %(reason)s"), {"reason": reason}, fields={"reason": reason})
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise InvalidDispatchInputError(N_("分页参数无效"), fields={"limit": limit, "offset": offset})
    conditions: list[ColumnElement[bool]] = []
    if state == "open":
        conditions.append(VisitFlag.reviewed_at.is_(None))
    elif state == "reviewed":
        conditions.append(VisitFlag.reviewed_at.is_not(None))
    if technician:
        conditions.append(VisitFlag.technician_name == technician)
    total = session.scalar(select(func.count()).select_from(VisitFlag).where(*conditions)) or 0
    query = select(VisitFlag).where(*conditions).order_by(VisitFlag.flagged_at.desc(), VisitFlag.id.desc())
    rows = list(session.scalars(query))
    if reason is not None:  # the reasons are a short JSON list: filtered here, not in SQL
        rows = [flag for flag in rows if reason in flag.reasons]
        total = len(rows)
    return Page(items=rows[offset : offset + limit], total=total, limit=limit, offset=offset)


@dataclass(frozen=True)
class FirstTimeFix:
    """On-site jobs resolved in a period: how many were fixed on the first visit, out of how many counted,
    and how many were left out because a flagged visit is not reviewed yet."""

    fixed: int
    counted: int
    excluded: int

    @property
    def rate(self) -> float | None:
        return round(self.fixed / self.counted, 4) if self.counted else None


def first_time_fix(session: Session, *, start: datetime, end: datetime) -> FirstTimeFix:
    """First-time-fix of the installation and repair jobs resolved in [start, end) that had a visit."""
    rows = session.execute(
        select(Ticket.id, Ticket.reopen_count).where(
            Ticket.kind.in_((TicketKind.INSTALLATION, TicketKind.REPAIR)),
            Ticket.resolved_at >= start,
            Ticket.resolved_at < end,
            Ticket.status != TicketStatus.CANCELLED,
        )
    ).all()
    ids = [row.id for row in rows]
    visits: dict[int, int] = {}
    flagged: set[int] = set()
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        visits.update(
            session.execute(
                select(TicketEvent.ticket_id, func.count())
                .where(TicketEvent.ticket_id.in_(part), TicketEvent.type == EventType.CHECK_IN)
                .group_by(TicketEvent.ticket_id)
            ).all()
        )
        flagged.update(
            session.scalars(
                select(VisitFlag.ticket_id).where(VisitFlag.ticket_id.in_(part), VisitFlag.reviewed_at.is_(None))
            )
        )
    fixed = counted = excluded = 0
    for row in rows:
        if not visits.get(row.id):
            continue  # resolved without a visit (an override): not a field fix to measure
        verdict = field_rules.is_first_time_fix(
            visits_before_result=visits[row.id], reopened=row.reopen_count > 0, has_unreviewed_flag=row.id in flagged
        )
        if verdict is None:
            excluded += 1
            continue
        counted += 1
        fixed += verdict
    return FirstTimeFix(fixed, counted, excluded)
