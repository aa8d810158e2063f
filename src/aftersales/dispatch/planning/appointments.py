"""Appointments: the visit window agreed with the customer. Rescheduling keeps the history; the customer
is told through the outbox (SMS channel). Flushes, never commits."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.i18n import N_, Joined
from aftersales.core.timeutil import to_local
from aftersales.dispatch.enums import EVENT_OWNER, DispatchEventType
from aftersales.dispatch.errors import InvalidDispatchInputError
from aftersales.dispatch.planning.models import Appointment
from aftersales.notifications import service as notifications_service
from aftersales.notifications.enums import Channel
from aftersales.tickets import events as ticket_events
from aftersales.tickets import service as tickets_service
from aftersales.tickets.rules import OPEN_STATUSES

EARLIEST, LATEST = time(8, 0), time(21, 0)
ticket_events.register_event_types(EVENT_OWNER, DispatchEventType)

LONGEST = timedelta(hours=4)
SHORTEST = timedelta(minutes=30)


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
    problems = {}
    if start <= now:
        problems["start"] = N_("预约时间必须晚于现在")
    if not SHORTEST <= end - start <= LONGEST:
        problems["end"] = N_("预约时段应在 30 分钟到 4 小时之间")
    if local_start.date() != local_end.date() or local_start.time() < EARLIEST or local_end.time() > LATEST:
        problems["start"] = problems.get("start") or N_("预约时段须在同一天 08:00–21:00 之间")
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
