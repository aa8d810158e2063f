"""JSON API of the files on a ticket (photos, signatures): their descriptions and their bytes, only for
those who may see the ticket."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from aftersales.accounts.deps import allowed
from aftersales.accounts.enums import Permission
from aftersales.accounts.schemas import Actor
from aftersales.dispatch import fieldwork
from aftersales.dispatch.fieldwork.schemas import AttachmentRead
from aftersales.tickets.models import TicketAttachment
from aftersales.web.deps import SessionDep
from aftersales.web.files import file_response
from aftersales.web.params import IdPath

router = APIRouter(prefix="/api/v1", tags=["field"])


def attachment_read(attachment: TicketAttachment) -> AttachmentRead:
    """A file's description (its bytes are fetched from ``url``)."""
    return AttachmentRead(
        id=attachment.id,
        kind=attachment.kind,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size_bytes=attachment.size_bytes,
        event_id=attachment.event_id,
        uploaded_by=attachment.uploaded_by,
        created_at=attachment.created_at,
        url=f"/api/v1/tickets/{attachment.ticket_id}/attachments/{attachment.id}",
    )


@router.get("/tickets/{ticket_id}/attachments/{attachment_id}", response_class=Response)
def get_attachment(
    ticket_id: IdPath,
    attachment_id: IdPath,
    session: SessionDep,
    actor: Annotated[Actor, allowed(Permission.TICKET_READ)],
) -> Response:
    """A photo or signature with its stored content type (only for those who may see the ticket)."""
    attachment = fieldwork.get_attachment(session, actor=actor, ticket_id=ticket_id, attachment_id=attachment_id)
    return file_response(
        data=attachment.data, content_type=attachment.content_type, name=f"{attachment.kind}-{attachment.id}"
    )
