"""Request and reply shapes of the use-case layer's API (the self-service assistant, caller lookup)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from aftersales.customers.schemas import AddressRead


class AssistCustomer(BaseModel):
    name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40)


class AssistRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_id: str = Field(min_length=1, max_length=64)
    message: str = Field(min_length=1, max_length=2000)
    customer: AssistCustomer | None = None


class AssistResponse(BaseModel):
    action: str
    message: str
    session_id: str
    article_id: int | None
    options: list[dict[str, Any]]
    ticket_id: int | None
    ticket_number: str | None
    emotion_report: dict[str, Any] | None


class ProductWarranty(BaseModel):
    model: str
    serial_number: str | None
    purchase_date: str | None
    warranty_end: str | None
    is_under_warranty: bool | None


class CustomerLookup(BaseModel):
    id: int
    name: str
    phone_masked: str
    addresses: list[AddressRead]
    products: list[ProductWarranty]
    ticket_count: int
    open_ticket_count: int
    is_repeat_caller: bool
