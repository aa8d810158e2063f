"""JSON API: look a caller up by phone before opening a ticket (repeat callers, products, warranty).
A read model over customers and tickets, so it sits in the use-case layer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from aftersales.accounts.deps import allowed
from aftersales.accounts.enums import Permission
from aftersales.accounts.schemas import Actor
from aftersales.core.errors import NotFoundError
from aftersales.core.i18n import N_
from aftersales.core.timeutil import to_local
from aftersales.customers import rules
from aftersales.customers import service as customers_service
from aftersales.customers.errors import InvalidPhoneError
from aftersales.customers.schemas import AddressRead
from aftersales.tickets.models import Ticket
from aftersales.tickets.rules import OPEN_STATUSES
from aftersales.usecases.schemas import CustomerLookup, ProductWarranty
from aftersales.web.deps import ClockDep, SessionDep

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])


@router.get("/lookup", response_model=CustomerLookup)
def lookup(
    phone: Annotated[str, Query(min_length=3, max_length=40)],
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.CUSTOMER_LOOKUP)],
) -> CustomerLookup:
    """The customer with this phone: addresses, products with warranty status, how often they called."""
    if rules.parse_phone(phone) is None:
        raise InvalidPhoneError(rules.PHONE_ERROR, fields={"phone": rules.PHONE_ERROR})
    customer = customers_service.find_by_phone(session, phone)
    if customer is None:
        raise NotFoundError(
            N_("没有该号码的客户记录"), code="customer.not_found", fields={"phone": rules.mask_phone(phone)}
        )
    today = to_local(clock.now()).date()
    total, open_count = session.execute(
        select(func.count(Ticket.id), func.count(Ticket.id).filter(Ticket.status.in_(OPEN_STATUSES))).where(
            Ticket.customer_id == customer.id
        )
    ).one()
    return CustomerLookup(
        id=customer.id,
        name=customer.name,
        phone_masked=rules.mask_phone(customer.phone),
        addresses=[AddressRead.model_validate(address) for address in customer.addresses],
        products=[
            ProductWarranty(
                model=product.model,
                serial_number=product.serial_number,
                purchase_date=product.purchase_date.isoformat() if product.purchase_date else None,
                warranty_end=product.warranty_end.isoformat() if product.warranty_end else None,
                is_under_warranty=rules.is_under_warranty(product.warranty_end, today)
                if product.warranty_end
                else None,
            )
            for product in customer.products
        ],
        ticket_count=total,
        open_ticket_count=open_count,
        is_repeat_caller=total > 0,
    )
