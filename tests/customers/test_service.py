"""Customers on a real session: repeat callers, addresses, installed products and warranty."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.core.clock import FrozenClock
from aftersales.customers import service
from aftersales.customers.errors import InvalidAddressError, InvalidPhoneError
from aftersales.customers.models import Address, Customer


def test_repeat_caller_is_recognised_by_any_spelling_of_the_phone(db: Session, clock: FrozenClock) -> None:
    first, is_new = service.find_or_create_customer(db, clock=clock, name="张三", phone="13800138000")
    again, is_new_again = service.find_or_create_customer(db, clock=clock, name="张先生", phone="+86 138-0013-8000")
    assert (is_new, is_new_again, again.id, again.name) == (True, False, first.id, "张三")
    assert service.find_by_phone(db, "138 0013 8000") is first
    assert service.find_by_phone(db, "13900000000") is None


def test_invalid_phone_creates_nothing(db: Session, clock: FrozenClock) -> None:
    before = db.scalar(select(func.count()).select_from(Customer))
    with pytest.raises(InvalidPhoneError) as error:
        service.find_or_create_customer(db, clock=clock, name="李四", phone="12345")
    assert error.value.fields == {"phone": error.value.detail}
    assert db.scalar(select(func.count()).select_from(Customer)) == before


def test_addresses_are_parsed_and_stored_once(db: Session, clock: FrozenClock) -> None:
    customer, _ = service.find_or_create_customer(db, clock=clock, name="王五", phone="13912345678")
    address = service.add_address(db, clock=clock, customer=customer, raw="  广东省深圳市南山区  科技园1号 ")
    same = service.add_address(db, clock=clock, customer=customer, raw="广东省深圳市南山区 科技园1号")
    assert same.id == address.id
    assert (address.raw, address.city, address.district, address.adcode) == (
        "广东省深圳市南山区 科技园1号",
        "深圳市",
        "南山区",
        "440305",
    )
    with pytest.raises(InvalidAddressError):
        service.add_address(db, clock=clock, customer=customer, raw="   ")
    assert db.scalar(select(func.count()).select_from(Address).where(Address.customer_id == customer.id)) == 1


def test_installed_product_warranty_follows_the_catalog(db: Session, clock: FrozenClock) -> None:
    service.upsert_product_model(
        db, code="YL-S7", name="人脸识别智能锁", category="smart_lock", warranty_months=24, is_onsite_service=True
    )
    customer, _ = service.find_or_create_customer(db, clock=clock, name="赵六", phone="13700000001")
    product = service.register_product(
        db, clock=clock, customer=customer, model="YL-S7", serial_number="SN1", purchase_date=date(2025, 3, 1)
    )
    unknown = service.register_product(
        db, clock=clock, customer=customer, model="X-1", serial_number="SN2", purchase_date=date(2025, 3, 1)
    )
    assert (product.warranty_end, unknown.warranty_end) == (date(2027, 3, 1), date(2026, 3, 1))
    again = service.register_product(db, clock=clock, customer=customer, model="YL-S7", serial_number=" SN1 ")
    assert again.id == product.id
