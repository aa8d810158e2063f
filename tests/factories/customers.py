"""Customers with an address and an installed product (customers service)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from aftersales.core.clock import Clock
from aftersales.customers import service as customers_service
from aftersales.customers.models import Customer
from tests.factories.common import CUSTOMER_ADDRESS, CUSTOMER_NAME, CUSTOMER_PHONE, PRODUCT_MODEL, SERIAL_NUMBER


def customer(
    session: Session,
    *,
    clock: Clock,
    name: str = CUSTOMER_NAME,
    phone: str = CUSTOMER_PHONE,
    address: str | None = CUSTOMER_ADDRESS,
    product_model: str | None = PRODUCT_MODEL,
    serial_number: str | None = SERIAL_NUMBER,
    purchase_date: date | None = None,
) -> Customer:
    """A customer recognised by phone, with an address and an installed product (customers service)."""
    found, _ = customers_service.find_or_create_customer(session, clock=clock, name=name, phone=phone)
    if address is not None:
        customers_service.add_address(session, clock=clock, customer=found, raw=address)
    if product_model is not None:
        customers_service.register_product(
            session,
            clock=clock,
            customer=found,
            model=product_model,
            serial_number=serial_number,
            purchase_date=purchase_date,
        )
    # The rows above were written by Core statements: let the collections load afresh.
    session.expire(found, ["addresses", "products"])
    return found
