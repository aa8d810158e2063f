"""Technician's phone view: today's jobs in order, the job card with the field steps (accept or decline,
on the way, check-in, diagnosis, parts, result with photos, customer confirmation, check-out)."""

from __future__ import annotations

import base64
import binascii
from itertools import zip_longest
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from aftersales.accounts.deps import ConsoleUser, page
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.core.errors import DomainError
from aftersales.core.i18n import N_
from aftersales.customers import rules as customer_rules
from aftersales.dispatch import fieldwork
from aftersales.dispatch.errors import FieldStepNotAllowedError, InvalidDispatchInputError, WrongConfirmationCodeError
from aftersales.dispatch.fieldwork import inputs as field_inputs
from aftersales.dispatch.fieldwork.inputs import Upload
from aftersales.dispatch.fieldwork.rules import FieldAction, FieldState
from aftersales.dispatch.planning import service as dayplans
from aftersales.feedback import promises as promises_service
from aftersales.tickets import queries
from aftersales.tickets import rules as ticket_rules
from aftersales.tickets import service as tickets_service
from aftersales.tickets.display import next_due, sla_badges
from aftersales.tickets.enums import EventType, TicketStatus
from aftersales.web.deps import ClockDep, SessionDep, SettingsDep, commit
from aftersales.web.files import file_response
from aftersales.web.labels import label
from aftersales.web.messages import domain_message
from aftersales.web.pages import Redraw, form_errors, redirect
from aftersales.web.params import IdPath
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console")


@router.get("/jobs")
def jobs(
    request: Request, session: SessionDep, clock: ClockDep, signed: Annotated[SignedIn, page(Permission.FIELD_WORK)]
) -> Response:
    """My open jobs, the most pressing deadline first."""
    _ = gettext_for(request)
    now = clock.now()
    user_id = signed.actor.user_id or 0
    # Today's plan decides the order and gives the ETAs; jobs outside it follow, most pressing first.
    planned = {
        stop.ticket_id: stop for stop in dayplans.today_stops_of_technician(session, clock=clock, user_id=user_id)
    }
    tickets = queries.jobs_of(session, user_id=user_id)
    order = {ticket_id: index for index, ticket_id in enumerate(planned)}
    tickets.sort(key=lambda ticket: order.get(ticket.id, len(order)))
    rows = [{"ticket": ticket, "due": next_due(ticket, now, _), "stop": planned.get(ticket.id)} for ticket in tickets]
    return render(request, "fieldwork/jobs.html", {"rows": rows})


@router.get("/jobs/{ticket_id}")
def job_card(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.FIELD_WORK)],
    ticket_id: IdPath,
) -> Response:
    """The job card: address with a map link, customer, product, deadlines, the field steps allowed now."""
    return _job_page(request, session, clock, signed, ticket_id)


# Lifecycle moves the card still offers next to the field steps (check-in and result are field steps).
LIFECYCLE_STEPS = (EventType.CONTACT, EventType.PROGRESS, EventType.HOLD, EventType.RESUME)
# Field states in which the technician works the job (accepted, not handed back).
WORKING_STATES = frozenset({FieldState.ACCEPTED, FieldState.ON_THE_WAY, FieldState.ON_SITE, FieldState.CHECKED_OUT})


def _job_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: ConsoleUser,
    ticket_id: int,
    *,
    error: DomainError | None = None,
    status: int = 200,
) -> Response:
    """The card, with the error of a refused step shown above the steps (and its status code)."""
    _ = gettext_for(request)
    card = fieldwork.job_card(session, actor=signed.actor, ticket_id=ticket_id)
    ticket = card.ticket
    allowed = set(ticket_rules.allowed_events(TicketStatus(ticket.status)))
    working = card.may_act and card.progress.state in WORKING_STATES
    photos: dict[int | None, list[object]] = {}
    for attachment in card.attachments:
        photos.setdefault(attachment.event_id, []).append(attachment)
    done = request.query_params.get("done")
    return render(
        request,
        "fieldwork/job.html",
        {
            "ticket": ticket,
            "badges": sla_badges(ticket, clock.now(), _),
            "events": card.events,
            "actions": [event for event in LIFECYCLE_STEPS if event in allowed] if working else [],
            "field_state": card.progress.state.value,
            "field_actions": [action.value for action in card.allowed_actions],
            "is_confirmed": card.progress.is_confirmed,
            "attachments": card.attachments,
            "attachments_by_event": photos,
            "promises": promises_service.promises_of(session, ticket.id),
            "now": clock.now(),  # an open promise past its due time is shown as overdue
            "phone_masked": customer_rules.mask_phone(ticket.customer.phone),
            "max_photos": field_inputs.MAX_PHOTOS,
            "flash": _("已记录：%(action)s") % {"action": done} if done else None,
            "error": domain_message(error, _) if error is not None else None,
            "error_fields": error.fields if error is not None else {},
        },
        status_code=status,
    )


def _card_with_error(
    request: Request, session: SessionDep, clock: ClockDep, signed: ConsoleUser, ticket_id: int
) -> Redraw:
    """``form_errors``' redraw for the card's forms: the card with the refused step's reason."""

    def redraw(error: DomainError, status: int) -> Response:
        return _job_page(request, session, clock, signed, ticket_id, error=error, status=status)

    return redraw


@router.post("/jobs/{ticket_id}/events")
def job_event(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.FIELD_WORK)],
    ticket_id: IdPath,
    type: Annotated[str, Form(max_length=32)],
    version: Annotated[int, Form()],
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """A lifecycle move on an accepted job (contact, progress, hold, resume); check-in and result are
    field steps (see ``job_field_step``)."""
    _ = gettext_for(request)
    with form_errors(request, session, _card_with_error(request, session, clock, signed, ticket_id)):
        event = EventType(type) if type in {e.value for e in LIFECYCLE_STEPS} else None
        if event is None:
            raise InvalidDispatchInputError(N_("未知的操作"), fields={"type": type})
        ticket = fieldwork.load_job(session, actor=signed.actor, ticket_id=ticket_id)
        if fieldwork.progress_of(session, ticket).state not in WORKING_STATES:
            raise FieldStepNotAllowedError(N_("请先接单"), fields={"type": type})
        tickets_service.apply_event(
            session,
            clock=clock,
            actor=signed.actor,
            ticket_id=ticket_id,
            event_type=event,
            note=note.strip() or None,
            expected_version=version,
        )
    commit(session)
    return redirect(request, f"/console/jobs/{ticket_id}?done={_(label('event', event))}")


def _coordinate(value: str, field: str) -> float | None:
    text = value.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidDispatchInputError(N_("坐标应为数字，如 113.93"), fields={field: "应为数字"}) from None


def _uploads(files: list[UploadFile] | None) -> list[Upload]:
    """The chosen files (a browser sends an empty part when none is chosen); each read up to just past
    the size limit, so an oversized photo is refused without reading all of it."""
    uploads = []
    for file in files or []:
        data = file.file.read(field_inputs.MAX_PHOTO_BYTES + 1)
        if file.filename or data:
            uploads.append(Upload(file.filename or "", data))
    return uploads


def _signature(data_url: str) -> bytes:
    text = data_url.strip()
    if not text:
        return b""
    try:
        return base64.b64decode(text.split(",", 1)[-1], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidDispatchInputError(N_("签名图片无效，请重新签名"), fields={"signature": "无效"}) from None


def _part_lines(codes: list[str], names: list[str], quantities: list[str], serials: list[str]) -> list[dict[str, str]]:
    rows = zip_longest(codes, names, quantities, serials, fillvalue="")
    lines = [
        {"part_code": code, "name": name, "quantity": quantity, "serial_number": serial}
        for code, name, quantity, serial in rows
    ]
    return [line for line in lines if any(value.strip() for value in line.values())]


@router.post("/jobs/{ticket_id}/field")
def job_field_step(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    signed: Annotated[SignedIn, page(Permission.FIELD_WORK)],
    ticket_id: IdPath,
    action: Annotated[str, Form(max_length=32)],
    note: Annotated[str, Form(max_length=4000)] = "",
    reason: Annotated[str, Form(max_length=400)] = "",
    longitude: Annotated[str, Form(max_length=32)] = "",
    latitude: Annotated[str, Form(max_length=32)] = "",
    fault: Annotated[str, Form(max_length=400)] = "",
    part_code: Annotated[list[str] | None, Form()] = None,
    part_name: Annotated[list[str] | None, Form()] = None,
    quantity: Annotated[list[str] | None, Form()] = None,
    serial_number: Annotated[list[str] | None, Form()] = None,
    code: Annotated[str, Form(max_length=16)] = "",
    method: Annotated[str, Form(max_length=16)] = "code",
    signature_data: Annotated[str, Form()] = "",
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """One step of the job flow from the phone (photos as a multipart upload); a refused step shows the
    card again with the reason, and changes nothing."""
    _ = gettext_for(request)
    actor = signed.actor
    with form_errors(request, session, _card_with_error(request, session, clock, signed, ticket_id)):
        step = FieldAction(action) if action in {a.value for a in FieldAction} else None
        if step is None:
            raise InvalidDispatchInputError(N_("未知的操作"), fields={"action": action})
        if step == FieldAction.ACCEPT:
            fieldwork.accept(session, clock=clock, actor=actor, ticket_id=ticket_id, note=note)
        elif step == FieldAction.DECLINE:
            fieldwork.decline(session, clock=clock, actor=actor, ticket_id=ticket_id, reason=reason)
        elif step in (FieldAction.ON_THE_WAY, FieldAction.CHECK_IN):
            lon, lat = _coordinate(longitude, "longitude"), _coordinate(latitude, "latitude")
            if step == FieldAction.ON_THE_WAY:
                fieldwork.on_the_way(
                    session, clock=clock, actor=actor, ticket_id=ticket_id, longitude=lon, latitude=lat
                )
            else:
                fieldwork.check_in(
                    session,
                    clock=clock,
                    actor=actor,
                    ticket_id=ticket_id,
                    longitude=lon,
                    latitude=lat,
                    note=note,
                    max_distance_km=settings.check_in_max_distance_km,
                )
        elif step == FieldAction.DIAGNOSIS:
            fieldwork.diagnosis(session, clock=clock, actor=actor, ticket_id=ticket_id, fault=fault, note=note)
        elif step == FieldAction.PARTS:
            lines = _part_lines(part_code or [], part_name or [], quantity or [], serial_number or [])
            fieldwork.parts_used(session, clock=clock, actor=actor, ticket_id=ticket_id, lines=lines)
        elif step == FieldAction.RESULT:
            uploads = _uploads(photos)
            fieldwork.result(session, clock=clock, actor=actor, ticket_id=ticket_id, note=note, photos=uploads)
        elif step == FieldAction.PHOTO:
            uploads = _uploads(photos)
            fieldwork.add_photos(session, clock=clock, actor=actor, ticket_id=ticket_id, photos=uploads, note=note)
        elif step == FieldAction.CONFIRMATION_CODE:
            fieldwork.request_confirmation_code(session, clock=clock, actor=actor, ticket_id=ticket_id)
        elif step == FieldAction.CONFIRMATION:
            signature = _signature(signature_data) if method == "signature" else None
            try:
                fieldwork.confirm(
                    session,
                    clock=clock,
                    actor=actor,
                    ticket_id=ticket_id,
                    method=method,
                    code=code,
                    signature=signature,
                )
            except WrongConfirmationCodeError:
                commit(session)  # the failed attempt counts (the refusal's rollback then has nothing to undo)
                raise
        else:
            fieldwork.check_out(
                session,
                clock=clock,
                actor=actor,
                ticket_id=ticket_id,
                note=note,
                min_stay_minutes=settings.min_stay_minutes,
            )
    commit(session)
    if step == FieldAction.DECLINE:
        return redirect(request, "/console/jobs")  # the job is no longer mine
    return redirect(request, f"/console/jobs/{ticket_id}?done={_(label('field_action', step))}")


@router.get("/jobs/{ticket_id}/attachments/{attachment_id}")
def job_attachment(
    session: SessionDep,
    signed: Annotated[SignedIn, page(Permission.TICKET_READ)],
    ticket_id: IdPath,
    attachment_id: IdPath,
) -> Response:
    """A photo or signature of a ticket the signed-in user may see (for the card's thumbnails)."""
    attachment = fieldwork.get_attachment(session, actor=signed.actor, ticket_id=ticket_id, attachment_id=attachment_id)
    return file_response(
        data=attachment.data, content_type=attachment.content_type, name=f"{attachment.kind}-{attachment.id}"
    )
