"""Ticket tables: tickets, timeline events, comments, the per-day number sequence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aftersales.core.db import Base, EnumText, JSONType, UTCDateTime
from aftersales.customers.models import Address, Customer, InstalledProduct
from aftersales.sla.enums import SlaState
from aftersales.sla.models import Target
from aftersales.tickets.enums import Channel, Priority, TicketKind, TicketStatus


class TicketNumberSequence(Base):
    """The last number handed out on a (local) day; incremented atomically."""

    __tablename__ = "ticket_number_sequences"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)


class Ticket(Base):
    """A work order."""

    __tablename__ = "tickets"
    __table_args__ = (
        # Lists are newest first (reported_at DESC, id DESC), each filter's page read in order from its
        # index and deep pages skipped inside it (migration 0018). PostgreSQL also has trigram indexes
        # on number and description for ``q=`` (core.migrate.DATABASE_ONLY_INDEXES).
        Index("ix_tickets_reported_id", "reported_at", "id"),
        Index("ix_tickets_customer_reported", "customer_id", "reported_at", "id"),
        Index("ix_tickets_status_reported", "status", "reported_at", "id"),
        Index("ix_tickets_kind_reported", "kind", "reported_at", "id"),
        Index("ix_tickets_priority_reported", "priority", "reported_at", "id"),
        Index("ix_tickets_sla_state_reported", "sla_state", "reported_at", "id"),
        Index("ix_tickets_address_id", "address_id"),
        # A serial number's tickets, newest first (the search's serial branch, migration 0023).
        Index("ix_tickets_product_reported", "installed_product_id", "reported_at", "id"),
        # Open loads per technician and per service point (dispatch) are counted from these alone.
        Index("ix_tickets_assignee_status", "assignee_id", "status"),
        Index("ix_tickets_organisation_status", "organisation_id", "status"),
        # The tickets changed since a moment: which days' dashboard rollups to redo (migration 0025).
        Index("ix_tickets_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[TicketKind] = mapped_column(EnumText(TicketKind, 32))
    priority: Mapped[Priority] = mapped_column(EnumText(Priority, 16))
    status: Mapped[TicketStatus] = mapped_column(EnumText(TicketStatus, 16))
    channel: Mapped[Channel] = mapped_column(EnumText(Channel, 16))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id"))
    installed_product_id: Mapped[int | None] = mapped_column(ForeignKey("installed_products.id"))
    product_model: Mapped[str | None] = mapped_column(String(64), index=True)
    description: Mapped[str] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    sla_state: Mapped[SlaState] = mapped_column(EnumText(SlaState, 16))
    first_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reopen_count: Mapped[int] = mapped_column(default=0)
    triage: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    customer: Mapped[Customer] = relationship(lazy="joined", innerjoin=True)
    address: Mapped[Address | None] = relationship(lazy="joined")
    installed_product: Mapped[InstalledProduct | None] = relationship(lazy="joined")
    sla_targets: Mapped[list[Target]] = relationship(
        primaryjoin="Ticket.id == foreign(Target.ticket_id)",
        order_by="Target.id",
        lazy="selectin",
        viewonly=True,
    )
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket",
        order_by="(TicketEvent.at, TicketEvent.id)",
        lazy="raise_on_sql",
        viewonly=True,
    )


class TicketEvent(Base):
    """One immutable step on a ticket's timeline."""

    __tablename__ = "ticket_events"
    __table_args__ = (
        Index("ix_ticket_events_ticket_at", "ticket_id", "at"),
        # The dashboard's breaches of a day; the query names the type as a literal (SQLite uses a partial
        # index only then).
        Index(
            "ix_ticket_events_breached_at",
            "at",
            postgresql_where=text("type = 'sla_breached'"),
            sqlite_where=text("type = 'sla_breached'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))  # tickets.enums.EventType or a registered type
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class TicketComment(Base):
    """A comment on a ticket (internal by default)."""

    __tablename__ = "ticket_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_name: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    is_internal: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TicketAttachment(Base):
    """A file on a ticket (a photo of the work, the customer's signature), linked to the timeline event
    that recorded it. Stored in the database so it commits or rolls back with the event."""

    __tablename__ = "ticket_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_events.id"))
    kind: Mapped[str] = mapped_column(String(16))  # photo | signature
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


@event.listens_for(TicketEvent, "before_update")
def _events_are_immutable(_mapper: Any, _connection: Any, target: TicketEvent) -> None:
    raise RuntimeError(f"timeline event {target.id} is immutable")


class AssistSession(Base):
    """A self-service chat (app/web widget): its messages and the ticket it opened, if any."""

    __tablename__ = "assist_sessions"

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_phone: Mapped[str | None] = mapped_column(String(32))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
