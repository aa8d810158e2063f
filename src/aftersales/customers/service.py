"""Customer use cases. Flushes, never commits."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.core.clock import Clock
from aftersales.customers import rules
from aftersales.customers.errors import CustomerNotFoundError, InvalidAddressError, InvalidPhoneError
from aftersales.customers.geo import parse_address
from aftersales.customers.models import Address, Customer, InstalledProduct, ProductModel


def find_by_phone(session: Session, phone: str) -> Customer | None:
    """The customer with this phone (any accepted spelling), or None."""
    parsed = rules.parse_phone(phone)
    if parsed is None:
        return None
    return session.scalar(select(Customer).where(Customer.phone == parsed.number))


def get_customer(session: Session, customer_id: int) -> Customer:
    """Load a customer by id."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise CustomerNotFoundError(f"客户 {customer_id} 不存在")
    return customer


def find_or_create_customer(session: Session, *, clock: Clock, name: str, phone: str) -> tuple[Customer, bool]:
    """Recognise a repeat caller by phone, else create the customer; returns (customer, is_new)."""
    parsed = rules.parse_phone(phone)
    if parsed is None:
        raise InvalidPhoneError(rules.PHONE_ERROR, fields={"phone": rules.PHONE_ERROR})
    customer = session.scalar(select(Customer).where(Customer.phone == parsed.number))
    if customer is not None:
        return customer, False
    customer = Customer(name=name.strip(), phone=parsed.number, phone_kind=parsed.kind, created_at=clock.now())
    session.add(customer)
    session.flush()
    return customer, True


def add_address(session: Session, *, clock: Clock, customer: Customer, raw: str) -> Address:
    """Attach an address (parsed with cpca) to the customer; the same text is stored once."""
    text = " ".join(raw.split())
    if not text:
        raise InvalidAddressError("地址不能为空", fields={"address": "地址不能为空"})
    existing = session.scalar(select(Address).where(Address.customer_id == customer.id, Address.raw == text))
    if existing is not None:
        return existing
    parsed = parse_address(text)
    address = Address(
        customer_id=customer.id,
        raw=text,
        province=parsed.province,
        city=parsed.city,
        district=parsed.district,
        adcode=parsed.adcode,
        detail=parsed.detail,
        longitude=parsed.longitude,
        latitude=parsed.latitude,
        created_at=clock.now(),
    )
    session.add(address)
    session.flush()
    return address


def get_product_model(session: Session, code: str) -> ProductModel | None:
    """The catalog entry for a model code, or None when the model is not in the catalog."""
    return session.scalar(select(ProductModel).where(ProductModel.code == code))


def upsert_product_model(
    session: Session, *, code: str, name: str, category: str, warranty_months: int, is_onsite_service: bool
) -> ProductModel:
    """Create or update a catalog entry."""
    model = get_product_model(session, code)
    if model is None:
        model = ProductModel(code=code, name=name, category=category)
        session.add(model)
    model.name, model.category = name, category
    model.warranty_months, model.is_onsite_service = warranty_months, is_onsite_service
    session.flush()
    return model


def register_product(
    session: Session,
    *,
    clock: Clock,
    customer: Customer,
    model: str,
    serial_number: str | None = None,
    purchase_date: date | None = None,
) -> InstalledProduct:
    """Record (or find) the customer's installed product; warranty follows the catalog's months."""
    serial = serial_number.strip() if serial_number else None
    product = None
    if serial:
        product = session.scalar(
            select(InstalledProduct).where(InstalledProduct.model == model, InstalledProduct.serial_number == serial)
        )
    else:
        product = session.scalar(
            select(InstalledProduct).where(
                InstalledProduct.customer_id == customer.id,
                InstalledProduct.model == model,
                InstalledProduct.serial_number.is_(None),
            )
        )
    if product is not None:
        if purchase_date and product.purchase_date is None:
            product.purchase_date = purchase_date
            product.warranty_end = _warranty_end(session, model, purchase_date)
        return product
    product = InstalledProduct(
        customer_id=customer.id,
        model=model,
        serial_number=serial,
        purchase_date=purchase_date,
        warranty_end=_warranty_end(session, model, purchase_date) if purchase_date else None,
        created_at=clock.now(),
    )
    session.add(product)
    session.flush()
    return product


def _warranty_end(session: Session, model: str, purchase_date: date) -> date:
    catalog = get_product_model(session, model)
    months = catalog.warranty_months if catalog else 12
    return rules.default_warranty_end(purchase_date, months)
