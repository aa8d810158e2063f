"""Customer tables: product catalog, customers, addresses, installed products."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aftersales.core.db import Base, EnumText, UTCDateTime
from aftersales.customers.enums import PhoneKind


class ProductModel(Base):
    """A product model in the manufacturer's catalog."""

    __tablename__ = "product_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64))
    warranty_months: Mapped[int] = mapped_column(default=12)
    is_onsite_service: Mapped[bool] = mapped_column(default=True)


class Customer(Base):
    """An end customer, recognised by phone."""

    __tablename__ = "customers"
    __table_args__ = (
        # The ticket search matches a name whole or by its start (tickets.search.starts_with): pattern_ops
        # let PostgreSQL answer ``LIKE '王芳%'`` from the index whatever the collation (migration 0023).
        Index("ix_customers_name", "name", postgresql_ops={"name": "varchar_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(32), unique=True)
    phone_kind: Mapped[PhoneKind] = mapped_column(EnumText(PhoneKind, 16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    addresses: Mapped[list[Address]] = relationship(back_populates="customer", order_by="Address.id")
    products: Mapped[list[InstalledProduct]] = relationship(back_populates="customer", order_by="InstalledProduct.id")


class Address(Base):
    """A customer address as typed, with what cpca recognised in it."""

    __tablename__ = "addresses"
    __table_args__ = (
        UniqueConstraint("customer_id", "raw"),
        # The dashboard lists provinces and their cities by skipping through this index.
        Index("ix_addresses_province_city", "province", "city"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    raw: Mapped[str] = mapped_column(String(500))
    province: Mapped[str | None] = mapped_column(String(32))
    city: Mapped[str | None] = mapped_column(String(32), index=True)
    district: Mapped[str | None] = mapped_column(String(32))
    adcode: Mapped[str | None] = mapped_column(String(12), index=True)
    detail: Mapped[str] = mapped_column(String(500))
    longitude: Mapped[float | None]
    latitude: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    customer: Mapped[Customer] = relationship(back_populates="addresses")


class InstalledProduct(Base):
    """A product a customer owns: model, serial number, purchase date, warranty end."""

    __tablename__ = "installed_products"
    __table_args__ = (
        UniqueConstraint("model", "serial_number"),
        # The ticket search matches a serial number whole or by its start, without the model (migration 0023).
        Index(
            "ix_installed_products_serial_number",
            "serial_number",
            postgresql_ops={"serial_number": "varchar_pattern_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    model: Mapped[str] = mapped_column(String(64))
    serial_number: Mapped[str | None] = mapped_column(String(64))
    purchase_date: Mapped[date | None] = mapped_column(Date)
    warranty_end: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    customer: Mapped[Customer] = relationship(back_populates="products")
