"""Turn loaded tickets into API schemas (no queries here: callers load what is shown)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from aftersales.customers import rules as customer_rules
from aftersales.customers.schemas import AddressRead, CustomerRead
from aftersales.sla.enums import TargetKind
from aftersales.sla.models import Target
from aftersales.sla.service import TargetRow
from aftersales.tickets.intake import RegisteredTicket
from aftersales.tickets.models import Ticket, TicketComment, TicketEvent
from aftersales.tickets.schemas import (
    CommentRead,
    EventRead,
    ProductRead,
    SlaRead,
    SlaTargetRead,
    TicketDetail,
    TicketRead,
)

TicketLike = Ticket | RegisteredTicket


def sla_read(ticket: TicketLike, targets: Sequence[Target | TargetRow]) -> SlaRead:
    """The SLA block of a ticket."""
    due = {TargetKind(target.kind): target.due_at for target in targets}
    return SlaRead(
        first_response_due_at=due.get(TargetKind.FIRST_RESPONSE),
        onsite_due_at=due.get(TargetKind.ONSITE),
        resolution_due_at=due.get(TargetKind.RESOLUTION),
        state=ticket.sla_state,
        targets=[
            SlaTargetRead(
                kind=target.kind,
                state=target.state,
                due_at=target.due_at,
                warn_at=target.warn_at,
                met_at=target.met_at,
                breached_at=target.breached_at,
                paused=target.paused_since is not None,
            )
            for target in targets
        ],
    )


def ticket_read(ticket: TicketLike, *, today: date, assignee: str | None = None) -> TicketRead:
    """A ticket for lists and replies; the phone is masked."""
    product = None
    if ticket.installed_product is not None:
        installed = ticket.installed_product
        product = ProductRead(
            model=installed.model,
            serial_number=installed.serial_number,
            warranty_end=installed.warranty_end.isoformat() if installed.warranty_end else None,
            is_under_warranty=(
                customer_rules.is_under_warranty(installed.warranty_end, today) if installed.warranty_end else None
            ),
        )
    customer = CustomerRead(
        id=ticket.customer.id,
        name=ticket.customer.name,
        phone_masked=customer_rules.mask_phone(ticket.customer.phone),
        address=AddressRead.model_validate(ticket.address) if ticket.address is not None else None,
    )
    return TicketRead(
        id=ticket.id,
        number=ticket.number,
        status=ticket.status,
        kind=ticket.kind,
        priority=ticket.priority,
        channel=ticket.channel,
        customer=customer,
        product=product,
        description=ticket.description,
        external_id=ticket.external_id,
        assignee=assignee,
        reopen_count=ticket.reopen_count,
        version=ticket.version,
        sla=sla_read(ticket, ticket.sla_targets),
        triage=ticket.triage,
        created_at=ticket.created_at,
        reported_at=ticket.reported_at,
        updated_at=ticket.updated_at,
    )


def ticket_detail(
    ticket: Ticket,
    *,
    today: date,
    events: Sequence[TicketEvent],
    comments: Sequence[TicketComment],
    assignee: str | None = None,
) -> TicketDetail:
    """A ticket with its timeline and comments."""
    base = ticket_read(ticket, today=today, assignee=assignee)
    return TicketDetail(
        **base.model_dump(),
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
            for event in events
        ],
        comments=[
            CommentRead(id=c.id, author=c.author_name, body=c.body, is_internal=c.is_internal, created_at=c.created_at)
            for c in comments
        ],
    )
