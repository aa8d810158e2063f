"""The job flow up to the result: accept or decline, on the way, check-in, diagnosis, parts used, the
result with its photos and extra photos. Flushes, never commits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.i18n import N_
from aftersales.dispatch.enums import FieldEventType
from aftersales.dispatch.fieldwork import common
from aftersales.dispatch.fieldwork import flags as field_flags
from aftersales.dispatch.fieldwork import inputs as field_inputs
from aftersales.dispatch.fieldwork import rules as field_rules
from aftersales.dispatch.fieldwork.inputs import Upload
from aftersales.dispatch.fieldwork.rules import FieldAction
from aftersales.dispatch.network import rules
from aftersales.notifications import service as notifications_service
from aftersales.notifications.enums import Channel
from aftersales.tickets import assignment as tickets_assignment
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import EventType
from aftersales.tickets.models import Ticket, TicketEvent


def accept(session: Session, *, clock: Clock, actor: Actor, ticket_id: int, note: str | None = None) -> TicketEvent:
    """Take the assigned job."""
    ticket, _ = common.start(session, actor, ticket_id, FieldAction.ACCEPT)
    extra = common.optional_note(note)
    return common.record(
        session,
        clock=clock,
        actor=actor,
        ticket=ticket,
        event_type=FieldEventType.ACCEPT,
        note="已接单" + (f"：{extra}" if extra else ""),
        note_key="fieldwork.accepted_with_note" if extra else "fieldwork.accepted",
        note_params={"note": extra or ""},
    )


def decline(session: Session, *, clock: Clock, actor: Actor, ticket_id: int, reason: str) -> Ticket:
    """Refuse the job with a reason: it goes back to the dispatcher queue, and whoever assigned it is told."""
    ticket, _ = common.start(session, actor, ticket_id, FieldAction.DECLINE)
    with common.refused_input():
        text = field_inputs.text(
            reason, field="reason", label=N_("拒单原因"), max_length=field_inputs.MAX_REASON, required=True
        )
    assigner = session.scalar(
        select(TicketEvent.actor_id)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.type == EventType.ASSIGN)
        .order_by(TicketEvent.id.desc())
        .limit(1)
    )
    tickets_assignment.unassign_ticket(
        session,
        clock=clock,
        actor=actor,
        ticket_id=ticket.id,
        note=f"拒单：{text}，已退回调度台",
        event_type=FieldEventType.DECLINE,
        data={"reason": text, "note_key": "fieldwork.declined", "note_params": {"reason": text}},
    )
    if assigner is not None and assigner != actor.user_id:
        event = common.latest_event(session, ticket.id, FieldEventType.DECLINE)
        notifications_service.enqueue(
            session,
            clock=clock,
            kind="job_declined",
            dedupe_key=f"job-declined:{event.id}",
            context={"ticket_number": ticket.number, "technician": actor.username, "reason": text},
            recipient_user_id=assigner,
            ticket_id=ticket.id,
        )
    return ticket


def on_the_way(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    ticket_id: int,
    longitude: float | None = None,
    latitude: float | None = None,
) -> TicketEvent:
    """Set off to the customer (who gets an SMS); a job still ``registered`` is contacted first."""
    ticket, _ = common.start(session, actor, ticket_id, FieldAction.ON_THE_WAY)
    with common.refused_input():
        position = field_inputs.optional_point(longitude, latitude)
    address = ticket.address
    target = field_inputs.address_point(address.longitude, address.latitude) if address else None
    eta = round(rules.StraightLineTravel().minutes(position, target)) if position and target else None
    common.contact_first(
        session,
        clock=clock,
        actor=actor,
        ticket=ticket,
        note="技术员已联系客户，准备出发",
        note_key="fieldwork.contacted_before_leaving",
    )
    if position is not None:
        common.remember_position(session, clock=clock, actor=actor, position=position)
    arrival = f"，预计约 {eta} 分钟到达" if eta is not None else ""
    event = common.record(
        session,
        clock=clock,
        actor=actor,
        ticket=ticket,
        event_type=FieldEventType.ON_THE_WAY,
        note=f"已出发{arrival}",
        data={"longitude": longitude, "latitude": latitude, "eta_minutes": eta},
        note_key="fieldwork.on_the_way" if eta is None else "fieldwork.on_the_way_eta",
        note_params={"minutes": eta if eta is not None else ""},
    )
    notifications_service.enqueue(
        session,
        clock=clock,
        kind="on_the_way",
        dedupe_key=f"on-the-way:{event.id}",
        context={"ticket_number": ticket.number, "eta_minutes": eta},
        channel=Channel.SMS,
        recipient_address=ticket.customer.phone,
        ticket_id=ticket.id,
    )
    return event


def check_in(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    ticket_id: int,
    longitude: float | None,
    latitude: float | None,
    note: str | None = None,
    max_distance_km: float = field_inputs.FAR_FROM_ADDRESS_KM,
) -> Ticket:
    """Arrive on site: the lifecycle check-in meets the on-site target at this moment (late if past due).
    The event keeps the position and its distance from the customer's address; beyond ``max_distance_km``
    (setting ``check_in_max_distance_km``) the visit is flagged for the inspector."""
    ticket, current = common.start(session, actor, ticket_id, FieldAction.CHECK_IN)
    with common.refused_input():
        position = field_inputs.check_in_point(longitude, latitude)
        extra = field_inputs.text(note, field="note", label=N_("说明"), max_length=field_inputs.MAX_NOTE)
    address = ticket.address
    target = field_inputs.address_point(address.longitude, address.latitude) if address else None
    km = field_inputs.distance_km(position, target)
    far = field_inputs.is_far_from_address(km, max_distance_km)
    if km is None:
        where = "客户地址无坐标，未核对距离"
        place: dict[str, object] = {"key": "fieldwork.address_unknown"}
    elif far:
        where = f"距客户地址约 {km:.1f} 公里，超过 {max_distance_km:g} 公里，已标记待质检复核"
        params = {"km": f"{km:.1f}", "max": f"{max_distance_km:g}"}
        place = {"key": "fieldwork.far_from_address_flagged", "params": params}
    else:
        where = f"距客户地址约 {km * 1000:.0f} 米"
        place = {"key": "fieldwork.near_address", "params": {"metres": f"{km * 1000:.0f}"}}
    common.contact_first(
        session,
        clock=clock,
        actor=actor,
        ticket=ticket,
        note="技术员已联系客户并上门",
        note_key="fieldwork.contacted_on_arrival",
    )
    common.remember_position(session, clock=clock, actor=actor, position=position)
    visit = current.visits + 1
    checked_in = tickets_service.apply_event(
        session,
        clock=clock,
        actor=actor,
        ticket_id=ticket.id,
        event_type=EventType.CHECK_IN,
        note=f"第 {visit} 次上门签到，{where}" + (f"。{extra}" if extra else ""),
        data={
            "longitude": position[0],
            "latitude": position[1],
            "distance_km": km,
            "far_from_address": far,
            "visit": visit,
            "note_key": "fieldwork.checked_in_with_note" if extra else "fieldwork.checked_in",
            "note_params": {"visit": visit, "where": place, "note": extra or ""},
        },
    )
    reasons = field_rules.check_in_flags(km, max_distance_km=max_distance_km)
    if reasons:
        arrival = common.latest_event(session, ticket.id, EventType.CHECK_IN)
        field_flags.raise_flags(
            session, clock=clock, actor=actor, ticket=ticket, check_in=arrival, reasons=reasons, distance_km=km
        )
    return checked_in


def diagnosis(
    session: Session, *, clock: Clock, actor: Actor, ticket_id: int, fault: str, note: str | None = None
) -> TicketEvent:
    """What is wrong, as found on site."""
    ticket, _ = common.start(session, actor, ticket_id, FieldAction.DIAGNOSIS)
    with common.refused_input():
        found = field_inputs.text(
            fault, field="fault", label=N_("故障结论"), max_length=field_inputs.MAX_FAULT, required=True
        )
        extra = field_inputs.text(note, field="note", label=N_("说明"), max_length=field_inputs.MAX_NOTE)
    return common.record(
        session,
        clock=clock,
        actor=actor,
        ticket=ticket,
        event_type=FieldEventType.DIAGNOSIS,
        note=f"检测结论：{found}" + (f"。{extra}" if extra else ""),
        data={"fault": found, "note": extra},
        note_key="fieldwork.diagnosis_with_note" if extra else "fieldwork.diagnosis",
        note_params={"fault": found, "note": extra or ""},
    )


def parts_used(
    session: Session, *, clock: Clock, actor: Actor, ticket_id: int, lines: Sequence[Mapping[str, object]]
) -> TicketEvent:
    """The parts fitted on site (recorded only; stock moves come with the parts capability)."""
    ticket, _ = common.start(session, actor, ticket_id, FieldAction.PARTS)
    with common.refused_input():
        parsed = field_inputs.part_lines(lines)
    items = [f"{line.name or line.part_code}×{line.quantity}" for line in parsed]
    summary = "、".join(items)
    return common.record(
        session,
        clock=clock,
        actor=actor,
        ticket=ticket,
        event_type=FieldEventType.PARTS_USED,
        note=f"使用配件：{summary}",
        data={"lines": [line.as_data() for line in parsed]},
        note_key="fieldwork.parts_used",
        note_params={"parts": {"join": "、", "items": items}},
    )


def result(
    session: Session, *, clock: Clock, actor: Actor, ticket_id: int, note: str, photos: Sequence[Upload]
) -> Ticket:
    """The outcome on site with 1–6 photos: the lifecycle result (meets the resolution target)."""
    ticket, _ = common.start(session, actor, ticket_id, FieldAction.RESULT)
    with common.refused_input():
        outcome = field_inputs.text(
            note, field="note", label=N_("处理结果"), max_length=field_inputs.MAX_NOTE, required=True
        )
    with common.refused_input(attachment=True):
        checked = field_inputs.photos(photos, required=True)
    tickets_service.apply_event(
        session,
        clock=clock,
        actor=actor,
        ticket_id=ticket.id,
        event_type=EventType.RESULT,
        note=outcome,
        data={"photos": len(checked)},
    )
    event = common.latest_event(session, ticket.id, EventType.RESULT)
    for file in checked:
        common.store(session, clock=clock, actor=actor, ticket=ticket, event=event, kind="photo", file=file)
    session.flush()
    return ticket


def add_photos(
    session: Session, *, clock: Clock, actor: Actor, ticket_id: int, photos: Sequence[Upload], note: str | None = None
) -> TicketEvent:
    """More photos from site (before or after the result), as their own timeline event."""
    ticket, _ = common.start(session, actor, ticket_id, FieldAction.PHOTO)
    extra = common.optional_note(note)
    with common.refused_input(attachment=True):
        checked = field_inputs.photos(photos, required=True)
    event = common.record(
        session,
        clock=clock,
        actor=actor,
        ticket=ticket,
        event_type=FieldEventType.PHOTO,
        note=f"上传现场照片 {len(checked)} 张" + (f"：{extra}" if extra else ""),
        data={"photos": len(checked)},
        note_key="fieldwork.photos_with_note" if extra else "fieldwork.photos",
        note_params={"count": len(checked), "note": extra or ""},
    )
    for file in checked:
        common.store(session, clock=clock, actor=actor, ticket=ticket, event=event, kind="photo", file=file)
    session.flush()
    return event
