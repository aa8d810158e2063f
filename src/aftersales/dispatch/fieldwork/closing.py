"""The end of a visit: the customer confirms the result (a one-time SMS code, or a signature), then the
technician checks out. Only a hash of the code is stored. Flushes, never commits."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.i18n import N_, Message
from aftersales.customers import rules as customer_rules
from aftersales.customers.enums import PhoneKind
from aftersales.dispatch.enums import FieldEventType
from aftersales.dispatch.errors import ConfirmationCodeError, InvalidDispatchInputError, WrongConfirmationCodeError
from aftersales.dispatch.fieldwork import common
from aftersales.dispatch.fieldwork import flags as field_flags
from aftersales.dispatch.fieldwork import inputs as field_inputs
from aftersales.dispatch.fieldwork import rules as field_rules
from aftersales.dispatch.fieldwork.models import ConfirmationCode
from aftersales.dispatch.fieldwork.rules import FieldAction
from aftersales.notifications import service as notifications_service
from aftersales.notifications.enums import Channel
from aftersales.tickets.enums import EventType, TicketStatus
from aftersales.tickets.models import TicketEvent

CODE_LIFETIME = timedelta(minutes=30)
CODE_RESEND_AFTER = timedelta(seconds=60)
MAX_CODE_ATTEMPTS = 5
MIN_STAY_MINUTES = 10  # the default of setting ``min_stay_minutes``
CONFIRMATION_METHODS = ("code", "signature")
CODE_LOCKED = N_("确认码错误次数过多，请重新发送确认码")


def request_confirmation_code(session: Session, *, clock: Clock, actor: Actor, ticket_id: int) -> ConfirmationCode:
    """Text the customer a 6-digit code valid for 30 minutes; an earlier unused code stops working."""
    ticket, _ = common.start(session, actor, ticket_id, FieldAction.CONFIRMATION_CODE)
    if ticket.customer.phone_kind != PhoneKind.MOBILE:
        raise InvalidDispatchInputError(
            N_("客户电话不是手机号，无法发送确认码，请改用签名确认"), fields={"phone": "不是手机号"}
        )
    now = clock.now()
    earlier = list(
        session.scalars(
            select(ConfirmationCode).where(
                ConfirmationCode.ticket_id == ticket.id,
                ConfirmationCode.used_at.is_(None),
                ConfirmationCode.expires_at > now,
            )
        )
    )
    if any(now - code.created_at < CODE_RESEND_AFTER for code in earlier):
        seconds = int(CODE_RESEND_AFTER.total_seconds())
        raise ConfirmationCodeError(
            N_("确认码刚刚发送过，请 %(seconds)s 秒后再试"),
            {"seconds": seconds},
            code="dispatch.code_too_soon",
            fields={"seconds": seconds},
        )
    for code in earlier:
        code.expires_at = now  # superseded: only the newest code counts
    plain = f"{secrets.randbelow(1_000_000):06d}"
    record = ConfirmationCode(
        ticket_id=ticket.id,
        code_hash=field_inputs.code_hash(ticket.id, plain),
        created_at=now,
        expires_at=now + CODE_LIFETIME,
        used_at=None,
        attempts=0,
    )
    session.add(record)
    session.flush()
    minutes = int(CODE_LIFETIME.total_seconds() // 60)
    notifications_service.enqueue(
        session,
        clock=clock,
        kind="confirmation_code",
        dedupe_key=f"confirmation-code:{record.id}",
        context={"ticket_number": ticket.number, "code": plain, "minutes": minutes},
        channel=Channel.SMS,
        recipient_address=ticket.customer.phone,
        ticket_id=ticket.id,
    )
    common.audit(
        session,
        clock=clock,
        actor=actor,
        ticket=ticket,
        action="job.confirmation_code_sent",
        after={"code_id": record.id, "sent_to": customer_rules.mask_phone(ticket.customer.phone)},
    )
    return record


def confirm(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    ticket_id: int,
    method: str,
    code: str | None = None,
    signature: bytes | None = None,
) -> TicketEvent:
    """The customer confirms the result: with the code they received (at most 5 tries per code), or by
    signing (a PNG stored as the event's attachment). A wrong code counts as an attempt and raises
    ``WrongConfirmationCodeError`` — the edge commits that attempt before answering."""
    ticket, _ = common.start(session, actor, ticket_id, FieldAction.CONFIRMATION)
    if method not in CONFIRMATION_METHODS:
        raise InvalidDispatchInputError(N_("确认方式应为确认码或客户签名"), fields={"method": "应为 code 或 signature"})
    if method == "signature":
        with common.refused_input(attachment=True):
            checked = field_inputs.signature(signature or b"")
        event = common.record(
            session,
            clock=clock,
            actor=actor,
            ticket=ticket,
            event_type=FieldEventType.CONFIRMATION,
            note="客户已签名确认服务结果",
            data={"method": "signature"},
            note_key="fieldwork.confirmed_by_signature",
        )
        common.store(session, clock=clock, actor=actor, ticket=ticket, event=event, kind="signature", file=checked)
        session.flush()
        return event
    with common.refused_input():
        given = field_inputs.confirmation_code(code)
    now = clock.now()
    latest = session.scalars(
        select(ConfirmationCode)
        .where(ConfirmationCode.ticket_id == ticket.id)
        .order_by(ConfirmationCode.id.desc())
        .limit(1)
    ).first()
    if latest is None or latest.used_at is not None:
        raise ConfirmationCodeError(N_("请先向客户发送确认码"), code="dispatch.code_missing", fields={"code": "未发送"})
    if latest.attempts >= MAX_CODE_ATTEMPTS:
        raise ConfirmationCodeError(CODE_LOCKED, code="dispatch.code_locked", fields={"attempts_left": 0})
    if now >= latest.expires_at:
        raise ConfirmationCodeError(
            N_("确认码已过期，请重新发送"), code="dispatch.code_expired", fields={"code": "已过期"}
        )
    if not hmac.compare_digest(latest.code_hash, field_inputs.code_hash(ticket.id, given)):
        latest.attempts += 1
        session.flush()
        left = MAX_CODE_ATTEMPTS - latest.attempts
        message = Message(N_("确认码错误，还可尝试 %(count)s 次"), {"count": left}) if left else CODE_LOCKED
        raise WrongConfirmationCodeError(message, fields={"code": "确认码错误", "attempts_left": left})
    latest.used_at = now
    return common.record(
        session,
        clock=clock,
        actor=actor,
        ticket=ticket,
        event_type=FieldEventType.CONFIRMATION,
        note="客户已通过短信确认码确认服务结果",
        data={"method": "code", "code_id": latest.id},
        note_key="fieldwork.confirmed_by_code",
    )


def check_out(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    ticket_id: int,
    note: str | None = None,
    min_stay_minutes: int = MIN_STAY_MINUTES,
) -> TicketEvent:
    """Leave the site: the event keeps the time on site and whether the result was confirmed. Leaving
    without a result (waiting for a part) is allowed; a second visit starts with "on the way" again. A
    stay shorter than ``min_stay_minutes`` (setting ``min_stay_minutes``) flags the visit for the inspector."""
    ticket, current = common.start(session, actor, ticket_id, FieldAction.CHECK_OUT)
    extra = common.optional_note(note)
    arrived = common.latest_event(session, ticket.id, EventType.CHECK_IN)
    minutes = field_rules.minutes_between(arrived.at, clock.now())
    resolved = ticket.status == TicketStatus.RESOLVED
    parts = [f"离场签退，现场停留 {field_rules.duration_text(minutes)}"]
    note_key = "fieldwork.checked_out"
    if resolved and not current.is_confirmed:
        parts.append("客户未确认")
        note_key = "fieldwork.checked_out_unconfirmed"
    elif not resolved:
        parts.append("尚未完成，需再次上门")
        note_key = "fieldwork.checked_out_unfinished"
    if extra:
        parts.append(extra)
        note_key += "_with_note"
    hours, rest = divmod(minutes, 60)
    duration = (
        {"key": "duration.hours_minutes", "params": {"h": hours, "m": rest}}
        if hours
        else {"key": "duration.minutes", "params": {"m": rest}}
    )
    reasons = field_rules.stay_flags(minutes, min_stay_minutes=min_stay_minutes)
    if reasons:
        field_flags.raise_flags(
            session, clock=clock, actor=actor, ticket=ticket, check_in=arrived, reasons=reasons, minutes_on_site=minutes
        )
    return common.record(
        session,
        clock=clock,
        actor=actor,
        ticket=ticket,
        event_type=FieldEventType.CHECK_OUT,
        note="；".join(parts),
        data={
            "minutes_on_site": minutes,
            "resolved": resolved,
            "confirmed": current.is_confirmed,
            "visit": current.visits,
        },
        note_key=note_key,
        note_params={"duration": duration, "note": extra or ""},
    )
