"""Promises made to the customer (承诺): recorded on the ticket with an owner, a due time and the
departments that must act; shown on the job card of whoever visits, acknowledged by them, fulfilled on
the timeline; one alert when past due and unacknowledged or not kept. Flushes, never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.enums import Role
from aftersales.accounts.models import User
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.db import get_for_update
from aftersales.core.errors import PermissionDeniedError
from aftersales.core.i18n import N_, Joined, Message
from aftersales.core.timeutil import to_local
from aftersales.feedback import rules
from aftersales.feedback.enums import EVENT_OWNER, FeedbackEventType
from aftersales.feedback.errors import InvalidPromiseError, PromiseClosedError, PromiseNotFoundError
from aftersales.feedback.models import Promise
from aftersales.notifications import service as notifications_service
from aftersales.tickets import events as ticket_events
from aftersales.tickets import service as tickets_service
from aftersales.tickets.models import Ticket
from aftersales.tickets.rules import OPEN_STATUSES

ticket_events.register_event_types(EVENT_OWNER, FeedbackEventType)

DEPARTMENTS = ("customer_service", "dispatch", "field_service", "warehouse", "logistics", "quality", "sales")
DEPARTMENT_LABELS = {
    "customer_service": "客服",
    "dispatch": "调度",
    "field_service": "上门服务",
    "warehouse": "仓储",
    "logistics": "物流配送",
    "quality": "质检",
    "sales": "销售",
}


def add_promise(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    ticket_id: int,
    description: str,
    due_at: datetime,
    owner_username: str,
    departments: list[str] | None = None,
) -> Promise:
    """Record a promise; bad input changes nothing."""
    ticket = tickets_service.get_ticket(session, ticket_id, actor=actor)
    now = clock.now()
    problems: dict[str, str] = {}
    text = description.strip()
    if not text or len(text) > 500:
        problems["description"] = N_("承诺内容须为 1 到 500 字")
    if due_at.tzinfo is None:
        problems["due_at"] = N_("期限需要带时区")
    elif due_at <= now:
        problems["due_at"] = N_("期限必须晚于现在")
    unknown = [name for name in departments or [] if name not in DEPARTMENTS]
    if unknown:
        problems["departments"] = Message(N_("未知的部门：%(departments)s"), {"departments": "、".join(unknown)})
    if ticket.status not in OPEN_STATUSES and ticket.status != "resolved":
        problems["ticket"] = N_("工单已结束，不能再登记承诺")
    if problems:
        raise InvalidPromiseError(Joined(problems.values()), fields=problems)
    owner = accounts_service.get_user(session, owner_username)
    if not owner.is_active:
        raise InvalidPromiseError(N_("负责人账号已停用"), fields={"owner_username": owner_username})
    promise = Promise(
        ticket_id=ticket.id,
        description=text,
        owner_id=owner.id,
        departments=list(dict.fromkeys(departments or [])),
        due_at=due_at,
        status="open",
        created_by=actor.username,
        created_at=now,
    )
    session.add(promise)
    session.flush()
    departments_text = "、".join(DEPARTMENT_LABELS[name] for name in promise.departments)
    tickets_service.record_event(
        session,
        clock=clock,
        actor=actor,
        ticket=ticket,
        event_type=FeedbackEventType.PROMISE,
        note=f"承诺：{text}（负责人 {owner.display_name}，{to_local(due_at):%m月%d日 %H:%M} 前"
        + (f"，{departments_text}" if departments_text else "")
        + "）",
        data={
            "promise_id": promise.id,
            "note_key": "promise.made_for_departments" if departments_text else "promise.made",
            "note_params": {
                "promise": text,
                "owner": owner.display_name,
                "due_at": _month_day_time(due_at),
                "departments": {"join": "、", "items": [{"key": f"department.{name}"} for name in promise.departments]},
            },
        },
    )
    notifications_service.enqueue(
        session,
        clock=clock,
        kind="promise_assigned",
        dedupe_key=f"promise_assigned:{promise.id}",
        context={"ticket_number": ticket.number, "promise": text, "due_at": f"{to_local(due_at):%m月%d日 %H:%M}"},
        recipient_user_id=owner.id,
        ticket_id=ticket.id,
    )
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="promise.created",
        entity_type="ticket",
        entity_id=ticket.id,
        after={"promise_id": promise.id, "owner": owner.username, "due_at": due_at.isoformat()},
    )
    return promise


def _month_day_time(moment: datetime) -> dict[str, object]:
    """A local time (11月23日 12:00) as a part of a timeline note, written in the console's language."""
    local = to_local(moment)
    params = {"month": f"{local:%m}", "day": f"{local:%d}", "time": f"{local:%H:%M}"}
    return {"key": "date.month_day_time", "params": params}


def public_view(promise: Promise) -> dict[str, object]:
    """A promise as the ticket's JSON and the job card carry it (times in Asia/Shanghai)."""
    return {
        "id": promise.id,
        "description": promise.description,
        "owner_id": promise.owner_id,
        "departments": promise.departments,
        "due_at": to_local(promise.due_at).isoformat(),
        "status": promise.status,
        "acknowledged_by": promise.acknowledged_by,
        "acknowledged_at": to_local(promise.acknowledged_at).isoformat() if promise.acknowledged_at else None,
        "fulfilled_at": to_local(promise.fulfilled_at).isoformat() if promise.fulfilled_at else None,
    }


def promises_of(session: Session, ticket_id: int) -> list[Promise]:
    """A ticket's promises, oldest first."""
    return list(session.scalars(select(Promise).where(Promise.ticket_id == ticket_id).order_by(Promise.id)))


def promises_for_tickets(session: Session, ticket_ids: list[int]) -> dict[int, list[Promise]]:
    """Promises of several tickets (job lists)."""
    found: dict[int, list[Promise]] = {ticket_id: [] for ticket_id in ticket_ids}
    if ticket_ids:
        for promise in session.scalars(select(Promise).where(Promise.ticket_id.in_(ticket_ids)).order_by(Promise.id)):
            found[promise.ticket_id].append(promise)
    return found


def get_promise(session: Session, promise_id: int, *, actor: Actor) -> Promise:
    """A promise on a ticket the actor may see (else not found)."""
    promise = session.get(Promise, promise_id)
    if promise is None:
        raise PromiseNotFoundError(N_("承诺 %(promise)s 不存在"), {"promise": promise_id})
    tickets_service.get_ticket(session, promise.ticket_id, actor=actor)
    return promise


def _promise(session: Session, promise_id: int, actor: Actor) -> Promise:
    promise = get_for_update(session, Promise, promise_id)  # acknowledged or kept once, whoever is first
    if promise is None:
        raise PromiseNotFoundError(N_("承诺 %(promise)s 不存在"), {"promise": promise_id})
    tickets_service.get_ticket(session, promise.ticket_id, actor=actor)  # hides others' promises
    return promise


def acknowledge(session: Session, *, clock: Clock, actor: Actor, promise_id: int) -> Promise:
    """Whoever visits or delivers confirms they have seen the promise (the assignee, the owner, staff)."""
    promise = _promise(session, promise_id, actor)
    ticket = tickets_service.get_ticket(session, promise.ticket_id, actor=actor)
    is_field = actor.role in (Role.TECHNICIAN, Role.PROVIDER)
    is_theirs = ticket.assignee_id == actor.user_id or (
        actor.role == Role.PROVIDER and ticket.organisation_id == actor.organisation_id
    )
    if is_field and not is_theirs:
        raise PermissionDeniedError(N_("只有上门或配送的负责人可以确认承诺"))
    if promise.status != "open":
        raise PromiseClosedError(N_("承诺已结束"), fields={"status": promise.status})
    if promise.acknowledged_at is None:
        promise.acknowledged_at, promise.acknowledged_by = clock.now(), actor.username
        tickets_service.record_event(
            session,
            clock=clock,
            actor=actor,
            ticket=ticket,
            event_type=FeedbackEventType.PROMISE,
            note=f"{actor.username} 已确认承诺：{promise.description}",
            data={
                "promise_id": promise.id,
                "acknowledged": True,
                "note_key": "promise.acknowledged",
                "note_params": {"username": actor.username, "promise": promise.description},
            },
        )
        _audit(session, clock, actor, promise, "promise.acknowledged")
    session.flush()
    return promise


def fulfil(session: Session, *, clock: Clock, actor: Actor, promise_id: int, note: str | None = None) -> Promise:
    """The promise is kept: a timeline event."""
    promise = _promise(session, promise_id, actor)
    if promise.status != "open":
        raise PromiseClosedError(N_("承诺已结束"), fields={"status": promise.status})
    ticket = tickets_service.get_ticket(session, promise.ticket_id, actor=actor)
    now = clock.now()
    promise.status, promise.fulfilled_at, promise.fulfilled_by = "fulfilled", now, actor.username
    if promise.acknowledged_at is None:
        promise.acknowledged_at, promise.acknowledged_by = now, actor.username
    extra = (note or "").strip()[:500]
    tickets_service.record_event(
        session,
        clock=clock,
        actor=actor,
        ticket=ticket,
        event_type=FeedbackEventType.PROMISE_FULFILLED,
        note=f"承诺已兑现：{promise.description}" + (f"（{extra}）" if extra else ""),
        data={
            "promise_id": promise.id,
            "note_key": "promise.fulfilled_with_note" if extra else "promise.fulfilled",
            "note_params": {"promise": promise.description, "note": extra},
        },
    )
    _audit(session, clock, actor, promise, "promise.fulfilled")
    session.flush()
    return promise


def _audit(session: Session, clock: Clock, actor: Actor, promise: Promise, action: str) -> None:
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action=action,
        entity_type="ticket",
        entity_id=promise.ticket_id,
        after={"promise_id": promise.id, "status": promise.status},
    )


def alert_due(session: Session, *, clock: Clock) -> int:
    """One alert per promise that is past due and unacknowledged or not kept; returns how many."""
    now = clock.now()
    due = session.scalars(
        select(Promise).where(Promise.status == "open", Promise.alerted_at.is_(None), Promise.due_at <= now)
    ).all()
    for promise in due:
        reason = rules.promise_alert(
            due_at=promise.due_at, now=now, acknowledged=promise.acknowledged_at is not None, fulfilled=False
        )
        if reason is None:
            continue
        ticket = tickets_service.get_ticket(session, promise.ticket_id)
        supervisors = accounts_service.supervisors_for(session, user_id=promise.owner_id, organisation_id=None)
        recipients = list(dict.fromkeys([promise.owner_id, ticket.assignee_id, *(u.id for u in supervisors)]))
        notifications_service.enqueue(
            session,
            clock=clock,
            kind="promise_alert",
            dedupe_key=f"promise_alert:{promise.id}",
            context={
                "ticket_number": ticket.number,
                "promise": promise.description,
                "due_at": f"{to_local(promise.due_at):%m月%d日 %H:%M}",
                "reason": reason,
            },
            recipient_user_id=promise.owner_id,
            ticket_id=ticket.id,
            payload={"promise_id": promise.id, "cc_user_ids": [r for r in recipients[1:] if r is not None]},
        )
        promise.alerted_at = now
    session.flush()
    return len(due)


# Who may own a promise besides the ticket's assignee: the office, where every department sits.
OWNER_ROLES = (Role.ADMIN, Role.AGENT, Role.DISPATCHER, Role.MANAGER, Role.INSPECTOR)
MAX_OWNER_CHOICES = 500


def owner_choices(session: Session, *, ticket_id: int) -> list[tuple[str, str]]:
    """(username, display name) of the people a promise on the ticket may be given to: active office staff
    and the ticket's assignee, by name."""
    ticket = tickets_service.get_ticket(session, ticket_id)
    office = User.role.in_(OWNER_ROLES)
    who = office if ticket.assignee_id is None else office | (User.id == ticket.assignee_id)
    rows = session.execute(
        select(User.username, User.display_name)
        .where(User.is_active.is_(True), who)
        .order_by(User.display_name, User.username)
        .limit(MAX_OWNER_CHOICES)
    ).all()
    return [(username, name) for username, name in rows]


@dataclass(frozen=True)
class BoardRow:
    """An open promise with what its list shows beside it."""

    promise: Promise
    ticket_number: str
    owner_name: str


@dataclass(frozen=True)
class BoardPage:
    rows: list[BoardRow]
    total: int


def open_promises(
    session: Session,
    *,
    now: datetime,
    overdue_only: bool = False,
    owner_id: int | None = None,
    department: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> BoardPage:
    """Open promises, the earliest due first, for every department to see; optionally only the overdue,
    one owner's, or those one department must act on."""
    conditions = [Promise.status == "open"]
    if overdue_only:
        conditions.append(Promise.due_at <= now)
    if owner_id is not None:
        conditions.append(Promise.owner_id == owner_id)
    if department is not None:
        # The departments are a JSON list of fixed ASCII names: its text holds '"name"' exactly when the
        # list does, on SQLite and PostgreSQL alike (no JSON operator both share).
        conditions.append(cast(Promise.departments, String).contains(f'"{department}"', autoescape=True))
    total = session.scalar(select(func.count()).select_from(Promise).where(*conditions)) or 0
    rows = session.execute(
        select(Promise, Ticket.number, User.display_name)
        .join(Ticket, Ticket.id == Promise.ticket_id)
        .join(User, User.id == Promise.owner_id)
        .where(*conditions)
        .order_by(Promise.due_at, Promise.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return BoardPage(
        rows=[BoardRow(promise=promise, ticket_number=number, owner_name=name) for promise, number, name in rows],
        total=int(total),
    )


def owner_names(session: Session, promises: list[Promise]) -> dict[int, str]:
    """Display names of the promises' owners."""
    ids = {promise.owner_id for promise in promises}
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
    return {user_id: name for user_id, name in rows}
