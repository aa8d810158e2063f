"""Ticket API schemas. Times go out as ISO 8601 in the local zone (AFTERSALES_TIMEZONE, default Asia/Shanghai +08:00)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, computed_field, field_validator

from aftersales.core.bounds import Version
from aftersales.core.i18n import N_
from aftersales.core.pagination import COUNT_LIMIT
from aftersales.core.timeutil import ensure_utc, to_local
from aftersales.customers.schemas import CustomerIn, CustomerRead, ProductIn
from aftersales.sla.enums import SlaState
from aftersales.tickets.enums import Channel, EventType, Priority, TicketKind, TicketStatus

LocalTime = Annotated[
    datetime, PlainSerializer(lambda value: to_local(value).isoformat(), return_type=str, when_used="json")
]


class TicketCreate(BaseModel):
    """A request to open a work order (DESIGN.md §4)."""

    model_config = ConfigDict(extra="forbid")

    kind: TicketKind | None = None
    priority: Priority | None = None
    channel: Channel
    customer: CustomerIn
    product: ProductIn | None = None
    description: str = Field(min_length=1, max_length=5000)
    reported_at: datetime | None = None
    external_id: str | None = Field(default=None, min_length=1, max_length=128)

    @field_validator("description")
    @classmethod
    def _description_not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError(N_("问题描述不能为空"))
        return value

    @field_validator("reported_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return ensure_utc(value) if value is not None else None


@dataclass(frozen=True)
class NewTicket:
    """Everything needed to register a work order, kind and priority already decided."""

    kind: TicketKind
    priority: Priority
    channel: Channel
    customer_name: str
    phone: str
    description: str
    address: str | None = None
    product_model: str | None = None
    serial_number: str | None = None
    purchase_date: date | None = None
    reported_at: datetime | None = None
    external_id: str | None = None
    triage: dict[str, Any] | None = None


class TicketUpdate(BaseModel):
    """Editable fields; ``version`` must match the stored one."""

    model_config = ConfigDict(extra="forbid")

    version: Version
    kind: TicketKind | None = None
    priority: Priority | None = None
    description: str | None = Field(default=None, min_length=1, max_length=5000)
    assignee_username: str | None = None
    # The customer's product (model, serial): found among theirs or recorded; purchase date not used here.
    product: ProductIn | None = None


class EventCreate(BaseModel):
    """A lifecycle move; ``version`` (optional) makes it conditional on the ticket not having changed."""

    model_config = ConfigDict(extra="forbid")

    type: EventType
    note: str | None = Field(default=None, max_length=5000)
    at: datetime | None = None
    version: Version | None = None
    # A supervisor's reason for a result on an on-site ticket nobody checked in on (recorded and audited).
    override_reason: str | None = Field(default=None, max_length=500)

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return ensure_utc(value) if value is not None else None


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=5000)
    is_internal: bool = True


class ProductRead(BaseModel):
    model: str
    serial_number: str | None
    warranty_end: str | None = None
    is_under_warranty: bool | None = None


class SlaTargetRead(BaseModel):
    kind: str
    state: SlaState
    due_at: LocalTime
    warn_at: LocalTime
    met_at: LocalTime | None
    breached_at: LocalTime | None
    paused: bool


class SlaRead(BaseModel):
    first_response_due_at: LocalTime | None
    onsite_due_at: LocalTime | None
    resolution_due_at: LocalTime | None
    state: SlaState
    targets: list[SlaTargetRead]


class EventRead(BaseModel):
    type: str
    at: LocalTime
    actor: str
    note: str | None
    from_status: str | None
    to_status: str | None
    data: dict[str, Any] | None = None


class CommentRead(BaseModel):
    id: int
    author: str
    body: str
    is_internal: bool
    created_at: LocalTime


class TicketRead(BaseModel):
    id: int
    number: str
    status: TicketStatus
    kind: TicketKind
    priority: Priority
    channel: Channel
    customer: CustomerRead
    product: ProductRead | None
    description: str
    external_id: str | None
    assignee: str | None
    reopen_count: int
    version: int
    sla: SlaRead
    triage: dict[str, Any] | None
    created_at: LocalTime
    reported_at: LocalTime
    updated_at: LocalTime


class TicketDetail(TicketRead):
    events: list[EventRead]
    comments: list[CommentRead]
    # Known-issue bulletins the ticket is linked to, sorted (composed by usecases.ticket_view).
    bulletin_ids: list[int] = Field(default_factory=list)
    # Promises made to the customer (composed by usecases.ticket_view).
    promises: list[dict[str, Any]] = Field(default_factory=list)


class TicketPage(BaseModel):
    items: list[TicketRead]
    # Matches counted up to core.pagination.COUNT_LIMIT; above it total reads COUNT_LIMIT + 1 and
    # total_is_exact is false ("1,000+"): counting millions of rows per request is a full scan.
    total: int
    limit: int
    offset: int
    # The next page: GET ...?after=<next_after> (keyset paging, as fast at any depth); None on the last page.
    next_after: str | None = None
    # Set when ``q`` held a text fragment of one or two characters: the description was then searched
    # only in the tickets reported since this time (names, phones, numbers and serials are searched in full).
    searched_since: datetime | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total_is_exact(self) -> bool:
        """False when there are more matches than ``total`` says (more than COUNT_LIMIT)."""
        return self.total <= COUNT_LIMIT
