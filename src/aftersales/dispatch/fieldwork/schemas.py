"""Request and reply shapes of the technician's job API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from aftersales.dispatch.fieldwork import inputs as field_inputs
from aftersales.tickets.schemas import EventRead, LocalTime


class JobRead(BaseModel):
    id: int
    number: str
    status: str
    kind: str
    priority: str
    field_state: str
    customer_name: str
    customer_phone_masked: str
    address: str | None
    longitude: float | None
    latitude: float | None
    sla_state: str
    first_response_due_at: LocalTime | None
    onsite_due_at: LocalTime | None
    resolution_due_at: LocalTime | None


class AttachmentRead(BaseModel):
    id: int
    kind: str
    filename: str
    content_type: str
    size_bytes: int
    event_id: int | None
    uploaded_by: str
    created_at: LocalTime
    url: str


class VisitFlagRead(BaseModel):
    """A visit flagged for the inspector; ``is_open`` until reviewed (then counted for first-time-fix)."""

    id: int
    ticket_id: int
    technician: str
    reasons: list[str]
    distance_km: float | None
    minutes_on_site: int | None
    flagged_at: LocalTime
    is_open: bool
    reviewed_at: LocalTime | None
    reviewed_by: str | None
    review_note: str | None


class VisitFlagPage(BaseModel):
    items: list[VisitFlagRead]
    total: int
    limit: int
    offset: int


class ReviewWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=500)


class JobCardRead(JobRead):
    version: int
    customer_phone: str  # the one doing the job calls the customer
    description: str
    product_model: str | None
    is_confirmed: bool
    visits: int
    allowed_actions: list[str]
    events: list[EventRead]
    attachments: list[AttachmentRead]
    promises: list[dict[str, Any]] = Field(default_factory=list)  # to be acknowledged by whoever visits
    # Visits flagged for the inspector (far check-in, short stay), reviewed or not.
    visit_flags: list[VisitFlagRead] = Field(default_factory=list)


class NoteWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=field_inputs.MAX_NOTE)


class DeclineWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=field_inputs.MAX_REASON)


class PositionWrite(BaseModel):
    """Coordinates are checked by the flow (clear Chinese errors), so they are optional here."""

    model_config = ConfigDict(extra="forbid")

    longitude: float | None = None
    latitude: float | None = None
    note: str | None = Field(default=None, max_length=field_inputs.MAX_NOTE)


class DiagnosisWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fault: str = Field(default="", max_length=field_inputs.MAX_FAULT)
    note: str | None = Field(default=None, max_length=field_inputs.MAX_NOTE)


class PartLineWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    part_code: str = ""
    name: str | None = None
    quantity: int | str | None = None  # checked by the flow (whole number 1–99)
    serial_number: str | None = None


class PartsWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parts: list[PartLineWrite]


class PhotoWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: str = Field(default="", max_length=200)
    content_base64: str


class ResultWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=field_inputs.MAX_NOTE)
    photos: list[PhotoWrite] = Field(default_factory=list)


class PhotosWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=field_inputs.MAX_NOTE)
    photos: list[PhotoWrite] = Field(default_factory=list)


class ConfirmationWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["code", "signature"]
    code: str | None = None
    signature_base64: str | None = None


class CodeSentRead(BaseModel):
    sent_to: str
    expires_at: LocalTime
