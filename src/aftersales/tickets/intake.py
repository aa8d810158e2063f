"""Registering a work order: the intake hot path.

A handful of statements in one transaction (customer, address and product upserts, the day's number,
the ticket, its first timeline event, its SLA targets, the audit entry), each with ``RETURNING`` so
nothing is read back. The result is a plain snapshot the API can answer from without another query.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.db import core_connection, dialect_insert, dialect_of, table_of
from aftersales.core.i18n import N_
from aftersales.core.prepared import Prepared
from aftersales.core.timeutil import local_zone
from aftersales.customers import service as customers_service
from aftersales.sla import service as sla_service
from aftersales.sla.enums import SlaState
from aftersales.tickets import presenters, rules
from aftersales.tickets.enums import EventType, TicketStatus
from aftersales.tickets.errors import InvalidTicketError
from aftersales.tickets.models import Ticket, TicketEvent, TicketNumberSequence
from aftersales.tickets.schemas import NewTicket, TicketRead

# Reports may come from devices whose clocks run a little fast.
FUTURE_SKEW = timedelta(minutes=5)


@dataclass
class Registration:
    """What registering wrote: the new ticket's id and its reply (built from the values written, so
    nothing is read back), and what the caller's next steps need."""

    ticket_id: int
    customer_id: int
    reported_at: datetime
    is_new_customer: bool
    needs_sla_refresh: bool
    read: TicketRead


_tickets = table_of(Ticket)
_events = table_of(TicketEvent)
_sequences = table_of(TicketNumberSequence)


@lru_cache(maxsize=4)
def _statements(dialect: str) -> dict[str, Any]:
    """The intake's statements, built once per dialect (building one costs more than running it)."""
    sequence = dialect_insert(dialect)(_sequences)
    return {
        "next_number": Prepared(
            sequence.on_conflict_do_update(
                index_elements=[_sequences.c.day], set_={"last_value": _sequences.c.last_value + 1}
            ).returning(_sequences.c.last_value),
            keys=("day", "last_value"),
        ),
        "ticket": Prepared(insert(_tickets).returning(_tickets.c.id), keys=_TICKET_KEYS),
        "event": Prepared(insert(_events), keys=_EVENT_KEYS),
    }


_TICKET_KEYS = (
    "number",
    "kind",
    "priority",
    "status",
    "channel",
    "customer_id",
    "address_id",
    "installed_product_id",
    "product_model",
    "description",
    "external_id",
    "reported_at",
    "created_at",
    "updated_at",
    "created_by_id",
    "assignee_id",
    "organisation_id",
    "sla_state",
    "first_contact_at",
    "resolved_at",
    "closed_at",
    "reopen_count",
    "triage",
    "version",
)
_EVENT_KEYS = (
    "ticket_id",
    "type",
    "at",
    "recorded_at",
    "actor_id",
    "actor_name",
    "note",
    "from_status",
    "to_status",
    "data",
)


def next_number(session: Session, *, prefix: str, day: date) -> str:
    """Hand out the next number of the day in one upsert (row lock on the day's counter)."""
    value = _statements(dialect_of(session))["next_number"].one(
        core_connection(session), {"day": f"{day:%Y%m%d}", "last_value": 1}
    )[0]
    return rules.format_number(prefix, day, value)


def plan(session: Session, *, clock: Clock, data: NewTicket) -> sla_service.PlannedTargets:
    """The ticket's SLA targets (reads only: may run before, and outside, the write transaction)."""
    now = clock.now()
    reported_at = data.reported_at or now
    if reported_at > now + FUTURE_SKEW:
        problem = N_("登记时间不能晚于当前时间")
        raise InvalidTicketError(problem, fields={"reported_at": problem})
    return sla_service.plan_for_ticket(
        session, priority=data.priority.value, ticket_kind=data.kind.value, start=reported_at
    )


def register(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    data: NewTicket,
    number_prefix: str = "SH",
    planned: sla_service.PlannedTargets | None = None,
    number_now: bool = True,
) -> Registration:
    """Register a work order: customer recognised by phone, address parsed, SLA clocks started.

    ``planned`` (from :func:`plan`) lets the caller do the reading part before the write transaction.
    With ``number_now=False`` the ticket keeps a provisional number until the caller's last step,
    :func:`assign_number`: the day's counter is a row every creator must lock until its commit, so it is
    taken as late as possible (on PostgreSQL, concurrent creators otherwise queue behind the whole intake).
    """
    now = clock.now()
    if planned is None:
        planned = plan(session, clock=clock, data=data)
    reported_at = planned.start
    customer, is_new_customer = customers_service.ensure_customer(
        session, clock=clock, name=data.customer_name, phone=data.phone
    )
    address = (
        customers_service.ensure_address(session, clock=clock, customer_id=customer.id, raw=data.address)
        if data.address and data.address.strip()
        else None
    )
    product = (
        customers_service.ensure_product(
            session,
            clock=clock,
            customer_id=customer.id,
            model=data.product_model,
            serial_number=data.serial_number,
            purchase_date=data.purchase_date,
        )
        if data.product_model
        else None
    )
    number = "~" + secrets.token_hex(15)  # provisional, unique; replaced by assign_number
    statements = _statements(dialect_of(session))
    connection = core_connection(session)
    ticket_id = statements["ticket"].one(
        connection,
        {
            "number": number,
            "kind": data.kind.value,
            "priority": data.priority.value,
            "status": TicketStatus.REGISTERED.value,
            "channel": data.channel.value,
            "customer_id": customer.id,
            "address_id": address.id if address else None,
            "installed_product_id": product.id if product else None,
            "product_model": data.product_model,
            "description": data.description,
            "external_id": data.external_id,
            "reported_at": reported_at,
            "created_at": now,
            "updated_at": now,
            "created_by_id": actor.user_id,
            "assignee_id": None,
            "organisation_id": None,
            "sla_state": SlaState.ON_TRACK.value,
            "first_contact_at": None,
            "resolved_at": None,
            "closed_at": None,
            "reopen_count": 0,
            "triage": data.triage,
            "version": 1,
        },
    )[0]
    statements["event"].execute(
        connection,
        {
            "ticket_id": ticket_id,
            "type": EventType.REGISTER.value,
            "at": reported_at,
            "recorded_at": now,
            "actor_id": actor.user_id,
            "actor_name": actor.username,
            "note": None,
            "from_status": None,
            "to_status": TicketStatus.REGISTERED.value,
            "data": {"channel": data.channel.value, "triage": data.triage} if data.triage else None,
        },
    )
    targets = sla_service.insert_targets(session, ticket_id=ticket_id, planned=planned)
    # A ticket reported in the past may already be due a warning or breach: the caller refreshes it.
    needs_refresh = any(now >= plan.warn_at for plan in planned.plans)
    registration = Registration(
        ticket_id=ticket_id,
        customer_id=customer.id,
        reported_at=reported_at,
        is_new_customer=is_new_customer,
        needs_sla_refresh=needs_refresh,
        read=presenters.new_ticket_read(
            ticket_id=ticket_id,
            number=number,
            data=data,
            customer=customer,
            address=address,
            product=product,
            targets=targets,
            reported_at=reported_at,
            now=now,
        ),
    )
    if number_now:
        assign_number(session, clock=clock, actor=actor, registration=registration, number_prefix=number_prefix)
    return registration


def assign_number(
    session: Session, *, clock: Clock, actor: Actor, registration: Registration, number_prefix: str = "SH"
) -> None:
    """Give a registered ticket the next number of its report day, and write its audit entry. The day's
    counter stays locked until the transaction ends: call this as the last write before the commit."""
    number = next_number(session, prefix=number_prefix, day=registration.reported_at.astimezone(local_zone()).date())
    ticket_id = registration.ticket_id
    core_connection(session).execute(update(_tickets).where(_tickets.c.id == ticket_id).values(number=number))
    registration.read = registration.read.model_copy(update={"number": number})
    read = registration.read
    accounts_service.append_audit_rows(
        session,
        [
            accounts_service.AuditRow(
                at=clock.now(),
                actor=actor,
                action="ticket.created",
                entity_type="ticket",
                entity_id=ticket_id,
                after={
                    "number": number,
                    "status": TicketStatus.REGISTERED.value,
                    "kind": read.kind.value,
                    "priority": read.priority.value,
                    "customer_id": registration.customer_id,
                },
            )
        ],
    )
