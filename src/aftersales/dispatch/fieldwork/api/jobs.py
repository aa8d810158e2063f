"""JSON API of the technician's jobs (the phone app): my jobs, the job card, one route per step. Photos and
the signature travel as base64 in JSON. Every step answers with the updated job card."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from aftersales.accounts.deps import allowed
from aftersales.accounts.enums import Permission
from aftersales.accounts.schemas import Actor
from aftersales.core.i18n import N_
from aftersales.customers import rules as customer_rules
from aftersales.dispatch import fieldwork
from aftersales.dispatch.errors import InvalidAttachmentError, WrongConfirmationCodeError
from aftersales.dispatch.fieldwork import flags as field_flags
from aftersales.dispatch.fieldwork import inputs as field_inputs
from aftersales.dispatch.fieldwork.api.attachments import attachment_read
from aftersales.dispatch.fieldwork.api.flags import flag_read
from aftersales.dispatch.fieldwork.inputs import Upload
from aftersales.dispatch.fieldwork.schemas import (
    CodeSentRead,
    ConfirmationWrite,
    DeclineWrite,
    DiagnosisWrite,
    JobCardRead,
    JobRead,
    NoteWrite,
    PartsWrite,
    PhotosWrite,
    PhotoWrite,
    PositionWrite,
    ResultWrite,
)
from aftersales.feedback import promises as promises_service
from aftersales.sla.enums import TargetKind
from aftersales.tickets.models import Ticket
from aftersales.tickets.schemas import EventRead
from aftersales.web.deps import ClockDep, SessionDep, SettingsDep, commit, json_response
from aftersales.web.params import IdPath

router = APIRouter(prefix="/api/v1", tags=["field"])
# base64 makes 3 bytes into 4 characters: refuse what cannot decode to an acceptable size before decoding.
_MAX_PHOTO_BASE64 = field_inputs.MAX_PHOTO_BYTES * 4 // 3 + 4
_MAX_SIGNATURE_BASE64 = field_inputs.MAX_SIGNATURE_BYTES * 4 // 3 + 4


def _decode(value: str, *, field: str, limit: int, photo: str | None = None) -> bytes:
    """The bytes of a base64 photo (``photo`` names it in messages) or, without ``photo``, of the signature."""
    text = value.split(",", 1)[1] if value.startswith("data:") else value  # a data URL from a canvas
    if len(text) > limit:
        if photo is None:
            raise InvalidAttachmentError(N_("签名图片不能超过 512 KB"), fields={field: "不能超过 512 KB"})
        too_big = {"name": photo, "size": "5 MB"}
        fields = {field: "超过 5 MB，请压缩后再上传"}
        raise InvalidAttachmentError(N_("照片「%(name)s」超过 %(size)s，请压缩后再上传"), too_big, fields=fields)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        fields = {field: "不是有效的 base64"}
        if photo is None:
            raise InvalidAttachmentError(N_("签名图片不是有效的 base64 内容"), fields=fields) from None
        raise InvalidAttachmentError(
            N_("照片「%(name)s」不是有效的 base64 内容"), {"name": photo}, fields=fields
        ) from None


def _uploads(photos: list[PhotoWrite]) -> list[Upload]:
    if len(photos) > field_inputs.MAX_PHOTOS:  # before decoding anything
        raise InvalidAttachmentError(
            field_inputs.TOO_MANY_PHOTOS, fields={"photos": f"最多 {field_inputs.MAX_PHOTOS} 张"}
        )
    return [
        Upload(
            photo.filename,
            _decode(
                photo.content_base64,
                field=f"photos[{index}]",
                limit=_MAX_PHOTO_BASE64,
                photo=field_inputs.photo_name(photo.filename, index),
            ),
        )
        for index, photo in enumerate(photos)
    ]


def _due(ticket: Ticket) -> dict[TargetKind, datetime]:
    return {TargetKind(target.kind): target.due_at for target in ticket.sla_targets}


def _job_fields(job: fieldwork.Job) -> dict[str, Any]:
    ticket = job.ticket
    address = ticket.address
    due = _due(ticket)
    return {
        "id": ticket.id,
        "number": ticket.number,
        "status": str(ticket.status),
        "kind": str(ticket.kind),
        "priority": str(ticket.priority),
        "field_state": job.progress.state.value,
        "customer_name": ticket.customer.name,
        "customer_phone_masked": customer_rules.mask_phone(ticket.customer.phone),
        "address": address.raw if address else None,
        "longitude": address.longitude if address else None,
        "latitude": address.latitude if address else None,
        "sla_state": str(ticket.sla_state),
        "first_response_due_at": due.get(TargetKind.FIRST_RESPONSE),
        "onsite_due_at": due.get(TargetKind.ONSITE),
        "resolution_due_at": due.get(TargetKind.RESOLUTION),
    }


def _card(session: Session, actor: Actor, ticket_id: int) -> Response:
    card = fieldwork.job_card(session, actor=actor, ticket_id=ticket_id)
    ticket = card.ticket
    read = JobCardRead(
        **_job_fields(fieldwork.Job(ticket, card.progress)),
        version=ticket.version,
        customer_phone=ticket.customer.phone,
        description=ticket.description,
        product_model=ticket.installed_product.model if ticket.installed_product else ticket.product_model,
        is_confirmed=card.progress.is_confirmed,
        visits=card.progress.visits,
        allowed_actions=[action.value for action in card.allowed_actions],
        events=[
            EventRead(
                type=event.type,
                at=event.at,
                actor=event.actor_name,
                note=event.note,
                from_status=event.from_status,
                to_status=event.to_status,
                data=event.data,
            )
            for event in card.events
        ],
        attachments=[attachment_read(attachment) for attachment in card.attachments],
        promises=[
            promises_service.public_view(promise) for promise in promises_service.promises_of(session, ticket.id)
        ],
        visit_flags=[flag_read(flag) for flag in field_flags.flags_of(session, ticket.id)],
    )
    return json_response(read)


@router.get("/jobs", response_model=list[JobRead])
def list_jobs(session: SessionDep, actor: Annotated[Actor, allowed(Permission.FIELD_WORK)]) -> list[JobRead]:
    """My open jobs (a provider account: its organisation's), the most pressing first; phones masked."""
    return [JobRead(**_job_fields(job)) for job in fieldwork.list_jobs(session, actor=actor)]


@router.get("/jobs/{ticket_id}", response_model=JobCardRead)
def get_job(
    ticket_id: IdPath, session: SessionDep, actor: Annotated[Actor, allowed(Permission.TICKET_READ)]
) -> Response:
    """The job card: field state, the steps allowed now, the timeline and the files (without bytes)."""
    return _card(session, actor, ticket_id)


@router.post("/jobs/{ticket_id}/accept", response_model=JobCardRead)
def accept(
    ticket_id: IdPath,
    body: NoteWrite,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.FIELD_WORK)],
) -> Response:
    """Take the assigned job."""
    fieldwork.accept(session, clock=clock, actor=actor, ticket_id=ticket_id, note=body.note)
    commit(session)
    return _card(session, actor, ticket_id)


@router.post("/jobs/{ticket_id}/decline", status_code=204)
def decline(
    ticket_id: IdPath,
    body: DeclineWrite,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.FIELD_WORK)],
) -> None:
    """Refuse the job with a reason: it goes back to the dispatcher queue (and out of my jobs)."""
    fieldwork.decline(session, clock=clock, actor=actor, ticket_id=ticket_id, reason=body.reason)
    commit(session)


@router.post("/jobs/{ticket_id}/on-the-way", response_model=JobCardRead)
def on_the_way(
    ticket_id: IdPath,
    body: PositionWrite,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.FIELD_WORK)],
) -> Response:
    """Set off (the position is optional); the customer gets an SMS."""
    fieldwork.on_the_way(
        session, clock=clock, actor=actor, ticket_id=ticket_id, longitude=body.longitude, latitude=body.latitude
    )
    commit(session)
    return _card(session, actor, ticket_id)


@router.post("/jobs/{ticket_id}/check-in", response_model=JobCardRead)
def check_in(
    ticket_id: IdPath,
    body: PositionWrite,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    actor: Annotated[Actor, allowed(Permission.FIELD_WORK)],
) -> Response:
    """Arrive on site with the current position (meets the on-site SLA now); far from the address, the
    visit is flagged for the inspector."""
    fieldwork.check_in(
        session,
        clock=clock,
        actor=actor,
        ticket_id=ticket_id,
        longitude=body.longitude,
        latitude=body.latitude,
        note=body.note,
        max_distance_km=settings.check_in_max_distance_km,
    )
    commit(session)
    return _card(session, actor, ticket_id)


@router.post("/jobs/{ticket_id}/diagnosis", response_model=JobCardRead)
def diagnosis(
    ticket_id: IdPath,
    body: DiagnosisWrite,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.FIELD_WORK)],
) -> Response:
    """What is wrong, as found on site."""
    fieldwork.diagnosis(session, clock=clock, actor=actor, ticket_id=ticket_id, fault=body.fault, note=body.note)
    commit(session)
    return _card(session, actor, ticket_id)


@router.post("/jobs/{ticket_id}/parts", response_model=JobCardRead)
def parts(
    ticket_id: IdPath,
    body: PartsWrite,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.FIELD_WORK)],
) -> Response:
    """The parts fitted (recorded; stock moves come with the parts capability)."""
    lines = [line.model_dump() for line in body.parts]
    fieldwork.parts_used(session, clock=clock, actor=actor, ticket_id=ticket_id, lines=lines)
    commit(session)
    return _card(session, actor, ticket_id)


@router.post("/jobs/{ticket_id}/result", response_model=JobCardRead)
def result(
    ticket_id: IdPath,
    body: ResultWrite,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.FIELD_WORK)],
) -> Response:
    """The outcome with 1–6 photos (JPEG/PNG/WEBP, 5 MB each)."""
    uploads = _uploads(body.photos)
    fieldwork.result(session, clock=clock, actor=actor, ticket_id=ticket_id, note=body.note, photos=uploads)
    commit(session)
    return _card(session, actor, ticket_id)


@router.post("/jobs/{ticket_id}/photos", response_model=JobCardRead)
def photos(
    ticket_id: IdPath,
    body: PhotosWrite,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.FIELD_WORK)],
) -> Response:
    """More photos from site, as their own timeline event."""
    uploads = _uploads(body.photos)
    fieldwork.add_photos(session, clock=clock, actor=actor, ticket_id=ticket_id, photos=uploads, note=body.note)
    commit(session)
    return _card(session, actor, ticket_id)


@router.post("/jobs/{ticket_id}/confirmation-code", response_model=CodeSentRead)
def confirmation_code(
    ticket_id: IdPath, session: SessionDep, clock: ClockDep, actor: Annotated[Actor, allowed(Permission.FIELD_WORK)]
) -> CodeSentRead:
    """Text the customer a one-time code (6 digits, 30 minutes); the code itself is never returned."""
    record = fieldwork.request_confirmation_code(session, clock=clock, actor=actor, ticket_id=ticket_id)
    ticket = fieldwork.load_job(session, actor=actor, ticket_id=ticket_id)
    reply = CodeSentRead(sent_to=customer_rules.mask_phone(ticket.customer.phone), expires_at=record.expires_at)
    commit(session)
    return reply


@router.post("/jobs/{ticket_id}/confirmation", response_model=JobCardRead)
def confirmation(
    ticket_id: IdPath,
    body: ConfirmationWrite,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.FIELD_WORK)],
) -> Response:
    """The customer confirms: ``{"method": "code", "code"}`` or ``{"method": "signature", "signature_base64"}``
    (a PNG). A wrong code counts as one of the 5 attempts."""
    signature = None
    if body.method == "signature":
        signature = _decode(
            body.signature_base64 or "",
            field="signature",
            limit=_MAX_SIGNATURE_BASE64,
        )
    try:
        fieldwork.confirm(
            session,
            clock=clock,
            actor=actor,
            ticket_id=ticket_id,
            method=body.method,
            code=body.code,
            signature=signature,
        )
    except WrongConfirmationCodeError:
        commit(session)  # the failed attempt counts
        raise
    commit(session)
    return _card(session, actor, ticket_id)


@router.post("/jobs/{ticket_id}/check-out", response_model=JobCardRead)
def check_out(
    ticket_id: IdPath,
    body: NoteWrite,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    actor: Annotated[Actor, allowed(Permission.FIELD_WORK)],
) -> Response:
    """Leave the site (time on site and whether the customer confirmed are recorded); a stay shorter than
    the minimum flags the visit for the inspector."""
    fieldwork.check_out(
        session,
        clock=clock,
        actor=actor,
        ticket_id=ticket_id,
        note=body.note,
        min_stay_minutes=settings.min_stay_minutes,
    )
    commit(session)
    return _card(session, actor, ticket_id)
