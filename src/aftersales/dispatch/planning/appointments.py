"""Appointments: the visit window agreed with the customer. Rescheduling keeps the history; the customer
is told through the outbox (SMS channel). Flushes, never commits."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.db import get_for_update
from aftersales.core.i18n import N_, Joined, Message
from aftersales.core.timeutil import LOCAL, to_local
from aftersales.dispatch.enums import EVENT_OWNER, DispatchEventType
from aftersales.dispatch.errors import InvalidDispatchInputError
from aftersales.dispatch.network.models import Technician
from aftersales.dispatch.planning.models import Appointment
from aftersales.notifications import service as notifications_service
from aftersales.notifications.enums import Channel
from aftersales.tickets import events as ticket_events
from aftersales.tickets import service as tickets_service
from aftersales.tickets.models import Ticket
from aftersales.tickets.rules import OPEN_STATUSES

EARLIEST, LATEST = time(8, 0), time(21, 0)
ticket_events.register_event_types(EVENT_OWNER, DispatchEventType)

LONGEST = timedelta(hours=4)
SHORTEST = timedelta(minutes=30)
# The visit windows the console offers (local time); the API takes any window within the limits above.
SLOTS = (
    ("08:00", "10:00"),
    ("10:00", "12:00"),
    ("13:00", "15:00"),
    ("15:00", "17:00"),
    ("17:00", "19:00"),
    ("19:00", "21:00"),
)


def slot_key(start: str, end: str) -> str:
    """A slot as the form names it: ``08:00-10:00``."""
    return f"{start}-{end}"


def slot_window(day: date, key: str) -> tuple[datetime, datetime] | None:
    """The window of slot ``key`` on the local ``day``, or None when ``key`` is not one of ``SLOTS``."""
    for start, end in SLOTS:
        if slot_key(start, end) == key:
            return (
                datetime.combine(day, time.fromisoformat(start), tzinfo=LOCAL),
                datetime.combine(day, time.fromisoformat(end), tzinfo=LOCAL),
            )
    return None


def shift_of(session: Session, user_id: int | None) -> tuple[str, str] | None:
    """A technician's shift (HH:MM, HH:MM), or None without a profile."""
    profile = session.get(Technician, user_id) if user_id is not None else None
    return (profile.shift_start, profile.shift_end) if profile is not None else None


def _assignee_problem(session: Session, ticket: Ticket, start: datetime, end: datetime) -> Message | str | None:
    """Why the assigned technician cannot take the window: a day off, outside the shift, or another booked
    visit at the same time; None when they can (or nobody with a profile is assigned yet)."""
    if ticket.assignee_id is None:
        return None
    # Locked: two bookings for one technician are decided one after the other, never both into one slot.
    profile = get_for_update(session, Technician, ticket.assignee_id)
    if profile is None:
        return None
    local_start, local_end = to_local(start), to_local(end)
    if local_start.date().isoformat() in profile.days_off:
        return N_("该日是技术员的休息日")
    if local_start.time() < time.fromisoformat(profile.shift_start) or local_end.time() > time.fromisoformat(
        profile.shift_end
    ):
        return Message(
            N_("超出技术员的班次（%(start)s–%(end)s）"), {"start": profile.shift_start, "end": profile.shift_end}
        )
    clash = session.scalar(
        select(Ticket.number)
        .join(Appointment, Appointment.ticket_id == Ticket.id)
        .where(
            Ticket.assignee_id == ticket.assignee_id,
            Ticket.id != ticket.id,
            Ticket.status.in_(OPEN_STATUSES),
            Appointment.status == "booked",
            Appointment.window_start < end,
            Appointment.window_end > start,
        )
        .order_by(Appointment.window_start)
        .limit(1)
    )
    if clash is not None:
        return Message(N_("技术员在该时段已有预约（工单 %(number)s）"), {"number": clash})
    return None


def book(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    ticket_id: int,
    start: datetime,
    end: datetime,
    note: str | None = None,
) -> Appointment:
    """Book (or re-book) the visit window; the previous booking is kept as rescheduled."""
    ticket = tickets_service.get_ticket(session, ticket_id, actor=actor, for_update=True)
    if ticket.status not in OPEN_STATUSES:
        raise InvalidDispatchInputError(N_("工单已结束，不能预约"), fields={"status": str(ticket.status)})
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidDispatchInputError(N_("预约时间需要带时区"), fields={"start": "需要时区"})
    now = clock.now()
    local_start, local_end = to_local(start), to_local(end)
    problems: dict[str, Message | str] = {}
    if start <= now:
        problems["start"] = N_("预约时间必须晚于现在")
    if not SHORTEST <= end - start <= LONGEST:
        problems["end"] = N_("预约时段应在 30 分钟到 4 小时之间")
    if local_start.date() != local_end.date() or local_start.time() < EARLIEST or local_end.time() > LATEST:
        problems["start"] = problems.get("start") or N_("预约时段须在同一天 08:00–21:00 之间")
    if not problems:
        busy = _assignee_problem(session, ticket, start, end)
        if busy is not None:
            problems["start"] = busy
    if problems:
        raise InvalidDispatchInputError(Joined(problems.values()), fields=problems)
    previous = list(
        session.scalars(select(Appointment).where(Appointment.ticket_id == ticket_id, Appointment.status == "booked"))
    )
    for old in previous:
        old.status = "rescheduled"
    appointment = Appointment(
        ticket_id=ticket_id,
        window_start=start,
        window_end=end,
        status="booked",
        booked_by=actor.username,
        booked_at=now,
        note=note,
    )
    session.add(appointment)
    session.flush()
    text = f"{local_start:%m月%d日 %H:%M}–{local_end:%H:%M}"
    verb = "改约" if previous else "预约"
    window = {
        "key": "date.window",
        "params": {
            "month": f"{local_start:%m}",
            "day": f"{local_start:%d}",
            "start": f"{local_start:%H:%M}",
            "end": f"{local_end:%H:%M}",
        },
    }
    note_key = ("dispatch.rebooked" if previous else "dispatch.booked") + ("_with_note" if note else "")
    tickets_service.record_event(
        session,
        clock=clock,
        actor=actor,
        ticket=ticket,
        event_type=DispatchEventType.APPOINTMENT,
        note=f"{verb}上门时间：{text}" + (f"（{note}）" if note else ""),
        data={
            "appointment_id": appointment.id,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "rescheduled": bool(previous),
            "note_key": note_key,
            "note_params": {"window": window, "note": note or ""},
        },
    )
    notifications_service.enqueue(
        session,
        clock=clock,
        kind="appointment",
        dedupe_key=f"appointment:{appointment.id}",
        context={"ticket_number": ticket.number, "window": text, "rescheduled": bool(previous)},
        channel=Channel.SMS,
        recipient_address=ticket.customer.phone,
        ticket_id=ticket.id,
    )
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="appointment.rebooked" if previous else "appointment.booked",
        entity_type="ticket",
        entity_id=ticket.id,
        before={"appointment_ids": [old.id for old in previous]} if previous else None,
        after={"appointment_id": appointment.id, "start": start.isoformat(), "end": end.isoformat()},
    )
    return appointment


def history(session: Session, *, actor: Actor, ticket_id: int) -> list[Appointment]:
    """Every booking of the ticket, oldest first."""
    tickets_service.get_ticket(session, ticket_id, actor=actor)
    return list(session.scalars(select(Appointment).where(Appointment.ticket_id == ticket_id).order_by(Appointment.id)))


def current(session: Session, *, actor: Actor, ticket_id: int) -> Appointment | None:
    """The ticket's booked appointment, if any."""
    booked = [record for record in history(session, actor=actor, ticket_id=ticket_id) if record.status == "booked"]
    return booked[-1] if booked else None
