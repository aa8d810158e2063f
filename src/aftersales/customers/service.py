"""Customer use cases. Flushes, never commits.

The ``ensure_*`` functions are the intake hot path: one upsert statement each (``INSERT … ON CONFLICT``
with ``RETURNING``, on SQLite and PostgreSQL alike), returning small immutable references. The ORM-
returning functions wrap them for callers that want loaded objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from aftersales.core.clock import Clock
from aftersales.core.db import core_connection, dialect_insert, dialect_of, table_of
from aftersales.core.i18n import N_
from aftersales.core.prepared import Prepared
from aftersales.customers import rules
from aftersales.customers.errors import CustomerNotFoundError, InvalidAddressError, InvalidPhoneError
from aftersales.customers.geo import parse_address
from aftersales.customers.models import Address, Customer, InstalledProduct, ProductModel


@dataclass(frozen=True)
class CustomerRef:
    id: int
    name: str
    phone: str


@dataclass(frozen=True)
class AddressRef:
    id: int
    raw: str
    province: str | None
    city: str | None
    district: str | None
    adcode: str | None
    detail: str
    longitude: float | None
    latitude: float | None


@dataclass(frozen=True)
class ProductRef:
    id: int
    model: str
    serial_number: str | None
    purchase_date: date | None
    warranty_end: date | None


# Statements of the intake hot path are built once per dialect and executed with parameters: building
# an ORM-aware INSERT … ON CONFLICT … RETURNING costs about a millisecond, executing it a fraction.
_customers = table_of(Customer)
_addresses = table_of(Address)
_products = table_of(InstalledProduct)
_PRODUCT_COLUMNS = ("id", "model", "serial_number", "purchase_date", "warranty_end")


@lru_cache(maxsize=4)
def _statements(dialect: str) -> dict[str, Any]:
    insert = dialect_insert(dialect)
    customer = insert(_customers)
    address = insert(_addresses)
    product = insert(_products)
    returning_product = [_products.c[name] for name in _PRODUCT_COLUMNS]
    return {
        "customer_by_phone": Prepared(
            select(_customers.c.id, _customers.c.name).where(_customers.c.phone == bindparam("phone"))
        ),
        "customer_insert": Prepared(
            customer.on_conflict_do_nothing(index_elements=[_customers.c.phone]).returning(
                _customers.c.id, _customers.c.name
            ),
            keys=("name", "phone", "phone_kind", "created_at"),
        ),
        "address_upsert": Prepared(
            address.on_conflict_do_update(
                index_elements=[_addresses.c.customer_id, _addresses.c.raw], set_={"raw": address.excluded.raw}
            ).returning(
                *(
                    _addresses.c[name]
                    for name in ("id", "province", "city", "district", "adcode", "detail", "longitude", "latitude")
                )
            ),
            keys=_ADDRESS_KEYS,
        ),
        "product_upsert": Prepared(
            product.on_conflict_do_update(
                index_elements=[_products.c.model, _products.c.serial_number], set_={"model": product.excluded.model}
            ).returning(*returning_product),
            keys=_PRODUCT_KEYS,
        ),
        "product_insert": Prepared(insert(_products).returning(*returning_product), keys=_PRODUCT_KEYS),
        "product_without_serial": Prepared(
            select(*returning_product)
            .where(
                _products.c.customer_id == bindparam("customer_id"),
                _products.c.model == bindparam("model"),
                _products.c.serial_number.is_(None),
            )
            .limit(1)
        ),
        "warranty_months": Prepared(
            select(table_of(ProductModel).c.warranty_months).where(table_of(ProductModel).c.code == bindparam("code"))
        ),
    }


_ADDRESS_KEYS = (
    "customer_id",
    "raw",
    "province",
    "city",
    "district",
    "adcode",
    "detail",
    "longitude",
    "latitude",
    "created_at",
)
_PRODUCT_KEYS = ("customer_id", "model", "serial_number", "purchase_date", "warranty_end", "created_at")


def _normalise_phone(phone: str) -> rules.Phone:
    parsed = rules.parse_phone(phone)
    if parsed is None:
        raise InvalidPhoneError(rules.PHONE_ERROR, fields={"phone": rules.PHONE_ERROR})
    return parsed


def ensure_customer(session: Session, *, clock: Clock, name: str, phone: str) -> tuple[CustomerRef, bool]:
    """The customer with this phone (a repeat caller keeps the stored name), created if new."""
    parsed = _normalise_phone(phone)
    connection = core_connection(session)
    statements = _statements(dialect_of(session))
    # Insert first (most callers are new); a repeat caller's phone conflicts and is then read, keeping
    # the stored name. Either way one statement for the common case, two for the other.
    row = statements["customer_insert"].first(
        connection,
        {"name": name.strip(), "phone": parsed.number, "phone_kind": parsed.kind.value, "created_at": clock.now()},
    )
    if row is not None:
        return CustomerRef(row.id, row.name, parsed.number), True
    existing = statements["customer_by_phone"].one(connection, {"phone": parsed.number})
    return CustomerRef(existing.id, existing.name, parsed.number), False


def ensure_address(session: Session, *, clock: Clock, customer_id: int, raw: str) -> AddressRef:
    """Attach an address (parsed with cpca) to the customer; the same text is stored once."""
    text = " ".join(raw.split())
    if not text:
        problem = N_("地址不能为空")
        raise InvalidAddressError(problem, fields={"address": problem})
    parsed = parse_address(text)
    row = _statements(dialect_of(session))["address_upsert"].one(
        core_connection(session),
        {
            "customer_id": customer_id,
            "raw": text,
            "province": parsed.province,
            "city": parsed.city,
            "district": parsed.district,
            "adcode": parsed.adcode,
            "detail": parsed.detail,
            "longitude": parsed.longitude,
            "latitude": parsed.latitude,
            "created_at": clock.now(),
        },
    )
    return AddressRef(
        row.id, text, row.province, row.city, row.district, row.adcode, row.detail, row.longitude, row.latitude
    )


def ensure_product(
    session: Session,
    *,
    clock: Clock,
    customer_id: int,
    model: str,
    serial_number: str | None = None,
    purchase_date: date | None = None,
) -> ProductRef:
    """Record (or find) the customer's installed product; warranty follows the catalog's months."""
    statements = _statements(dialect_of(session))
    serial = serial_number.strip() if serial_number and serial_number.strip() else None
    warranty_end = _warranty_end(session, model, purchase_date) if purchase_date else None
    values = {
        "customer_id": customer_id,
        "model": model,
        "serial_number": serial,
        "purchase_date": purchase_date,
        "warranty_end": warranty_end,
        "created_at": clock.now(),
    }
    row: Any
    if serial is not None:
        row = statements["product_upsert"].one(core_connection(session), values)
    else:
        row = statements["product_without_serial"].first(
            core_connection(session), {"customer_id": customer_id, "model": model}
        )
        if row is None:
            row = statements["product_insert"].one(core_connection(session), values)
    product = ProductRef(row.id, row.model, row.serial_number, row.purchase_date, row.warranty_end)
    if purchase_date is not None and product.purchase_date is None:
        # A purchase date learned later completes the record (and its warranty).
        session.execute(
            update(InstalledProduct)
            .where(InstalledProduct.id == product.id)
            .values(purchase_date=purchase_date, warranty_end=warranty_end)
            .execution_options(synchronize_session=False)
        )
        product = ProductRef(product.id, product.model, product.serial_number, purchase_date, warranty_end)
    return product


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
        raise CustomerNotFoundError(N_("客户 %(customer)s 不存在"), {"customer": customer_id})
    return customer


def find_or_create_customer(session: Session, *, clock: Clock, name: str, phone: str) -> tuple[Customer, bool]:
    """Recognise a repeat caller by phone, else create the customer; returns (customer, is_new)."""
    ref, is_new = ensure_customer(session, clock=clock, name=name, phone=phone)
    return get_customer(session, ref.id), is_new


def add_address(session: Session, *, clock: Clock, customer: Customer, raw: str) -> Address:
    """Attach an address to the customer (loaded object)."""
    ref = ensure_address(session, clock=clock, customer_id=customer.id, raw=raw)
    address = session.get(Address, ref.id)
    assert address is not None
    return address


def register_product(
    session: Session,
    *,
    clock: Clock,
    customer: Customer,
    model: str,
    serial_number: str | None = None,
    purchase_date: date | None = None,
) -> InstalledProduct:
    """Record (or find) the customer's installed product (loaded object)."""
    ref = ensure_product(
        session,
        clock=clock,
        customer_id=customer.id,
        model=model,
        serial_number=serial_number,
        purchase_date=purchase_date,
    )
    product = session.get(InstalledProduct, ref.id, populate_existing=True)
    assert product is not None
    return product


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


def _warranty_end(session: Session, model: str, purchase_date: date) -> date:
    months = _statements(dialect_of(session))["warranty_months"].scalar(core_connection(session), {"code": model})
    return rules.default_warranty_end(purchase_date, months if months is not None else 12)
