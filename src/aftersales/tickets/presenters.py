"""Turn loaded tickets into API schemas (no queries here: callers load what is shown)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from aftersales.core.timeutil import to_local
from aftersales.customers import rules as customer_rules
from aftersales.customers.models import Address, Customer, InstalledProduct
from aftersales.customers.schemas import AddressRead, CustomerRead
from aftersales.customers.service import AddressRef, CustomerRef, ProductRef
from aftersales.sla import rules as sla_rules
from aftersales.sla.enums import SlaState, TargetKind
from aftersales.sla.models import Target
from aftersales.sla.service import TargetRow
from aftersales.tickets.enums import TicketStatus
from aftersales.tickets.models import Ticket, TicketComment, TicketEvent
from aftersales.tickets.schemas import (
    CommentRead,
    EventRead,
    NewTicket,
    ProductRead,
    SlaRead,
    SlaTargetRead,
    TicketDetail,
    TicketRead,
)


def sla_read(state: SlaState, targets: Sequence[Target | TargetRow]) -> SlaRead:
    """The SLA block of a ticket: its combined state and each target."""
    due = {TargetKind(target.kind): target.due_at for target in targets}
    return SlaRead(
        first_response_due_at=due.get(TargetKind.FIRST_RESPONSE),
        onsite_due_at=due.get(TargetKind.ONSITE),
        resolution_due_at=due.get(TargetKind.RESOLUTION),
        state=state,
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


def product_read(installed: InstalledProduct | ProductRef | None, *, today: date) -> ProductRead | None:
    """The installed product with its warranty as of ``today``."""
    if installed is None:
        return None
    return ProductRead(
        model=installed.model,
        serial_number=installed.serial_number,
        warranty_end=installed.warranty_end.isoformat() if installed.warranty_end else None,
        is_under_warranty=(
            customer_rules.is_under_warranty(installed.warranty_end, today) if installed.warranty_end else None
        ),
    )


def customer_read(customer: Customer | CustomerRef, address: Address | AddressRef | None) -> CustomerRead:
    """The ticket's customer with the phone masked, and the address of the ticket."""
    return CustomerRead(
        id=customer.id,
        name=customer.name,
        phone_masked=customer_rules.mask_phone(customer.phone),
        address=AddressRead.model_validate(address) if address is not None else None,
    )


def ticket_read(ticket: Ticket, *, today: date, assignee: str | None = None) -> TicketRead:
    """A ticket for lists and replies; the phone is masked."""
    return TicketRead(
        id=ticket.id,
        number=ticket.number,
        status=ticket.status,
        kind=ticket.kind,
        priority=ticket.priority,
        channel=ticket.channel,
        customer=customer_read(ticket.customer, ticket.address),
        product=product_read(ticket.installed_product, today=today),
        description=ticket.description,
        external_id=ticket.external_id,
        assignee=assignee,
        reopen_count=ticket.reopen_count,
        version=ticket.version,
        sla=sla_read(ticket.sla_state, ticket.sla_targets),
        triage=ticket.triage,
        created_at=ticket.created_at,
        reported_at=ticket.reported_at,
        updated_at=ticket.updated_at,
    )


def new_ticket_read(
    *,
    ticket_id: int,
    number: str,
    data: NewTicket,
    customer: CustomerRef,
    address: AddressRef | None,
    product: ProductRef | None,
    targets: Sequence[TargetRow],
    reported_at: datetime,
    now: datetime,
) -> TicketRead:
    """A ticket just registered, from the values written (what ``ticket_read`` would show once loaded)."""
    return TicketRead(
        id=ticket_id,
        number=number,
        status=TicketStatus.REGISTERED,
        kind=data.kind,
        priority=data.priority,
        channel=data.channel,
        customer=customer_read(customer, address),
        product=product_read(product, today=to_local(now).date()),
        description=data.description,
        external_id=data.external_id,
        assignee=None,
        reopen_count=0,
        version=1,
        sla=sla_read(sla_rules.combine_states(target.state for target in targets), targets),
        triage=data.triage,
        created_at=now,
        reported_at=reported_at,
        updated_at=now,
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
