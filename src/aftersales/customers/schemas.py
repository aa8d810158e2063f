"""Customer schemas: input (validated phone) and read models (masked phone)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator

from aftersales.core.i18n import N_
from aftersales.customers import rules


class CustomerIn(BaseModel):
    """A caller as given by an agent or an integration."""

    name: str = Field(min_length=1, max_length=100)
    phone: str = Field(min_length=1, max_length=40)
    address: str | None = Field(default=None, max_length=500)

    @field_validator("name")
    @classmethod
    def _strip_name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError(N_("姓名不能为空"))
        return value

    @field_validator("phone")
    @classmethod
    def _valid_phone(cls, value: str) -> str:
        phone = rules.parse_phone(value)
        if phone is None:
            raise ValueError(rules.PHONE_ERROR)
        return phone.number


class ProductIn(BaseModel):
    """A product named on a request."""

    model: str = Field(min_length=1, max_length=64)
    serial_number: str | None = Field(default=None, max_length=64)
    purchase_date: date | None = None


class AddressRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    raw: str
    province: str | None
    city: str | None
    district: str | None
    adcode: str | None
    detail: str
    longitude: float | None
    latitude: float | None


class CustomerRead(BaseModel):
    """A customer with the phone masked."""

    id: int
    name: str
    phone_masked: str
    address: AddressRead | None = None


class InstalledProductRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    model: str
    serial_number: str | None
    purchase_date: date | None
    warranty_end: date | None
