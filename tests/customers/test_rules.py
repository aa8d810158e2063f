"""Phone normalisation, validation and masking; warranty arithmetic; address parsing."""

from __future__ import annotations

from datetime import date

import pytest

from aftersales.customers import rules
from aftersales.customers.enums import PhoneKind
from aftersales.customers.geo import parse_address


@pytest.mark.parametrize(
    ("raw", "number", "kind"),
    [
        ("13800138000", "13800138000", PhoneKind.MOBILE),
        ("138 0013 8000", "13800138000", PhoneKind.MOBILE),
        ("+86 138-0013-8000", "13800138000", PhoneKind.MOBILE),
        ("008619912345678", "19912345678", PhoneKind.MOBILE),
        ("010-62345678", "010-62345678", PhoneKind.LANDLINE),
        ("(0755)86001234", "0755-86001234", PhoneKind.LANDLINE),
        ("0571 8765432", "0571-8765432", PhoneKind.LANDLINE),
        ("021-55556666转123", "021-55556666#123", PhoneKind.LANDLINE),
    ],
)
def test_valid_phones_are_normalised(raw: str, number: str, kind: PhoneKind) -> None:
    assert rules.parse_phone(raw) == rules.Phone(number, kind)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "12345",
        "1380013800",
        "138001380001",
        "12800138000",
        "23800138000",
        "010-1234567",
        "0755-0123456",
        "010-12345678",
        "abc13800138000",
        "13800138000x",
        "400-800-8888",
    ],
)
def test_invalid_phones_are_refused(raw: str) -> None:
    assert rules.parse_phone(raw) is None


@pytest.mark.parametrize(
    ("number", "masked"),
    [("13800138000", "138****8000"), ("010-12345678", "010-****5678"), ("0755-86001234#12", "0755-****1234")],
)
def test_masking(number: str, masked: str) -> None:
    assert rules.mask_phone(number) == masked


@pytest.mark.parametrize(
    ("purchase", "months", "end"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2026, 11, 22), 24, date(2028, 11, 22)),
        (date(2026, 11, 22), 0, date(2026, 11, 22)),
    ],
)
def test_warranty_end(purchase: date, months: int, end: date) -> None:
    assert rules.default_warranty_end(purchase, months) == end


def test_is_under_warranty() -> None:
    assert rules.is_under_warranty(date(2026, 11, 22), date(2026, 11, 22)) is True
    assert rules.is_under_warranty(date(2026, 11, 21), date(2026, 11, 22)) is False
    assert rules.is_under_warranty(None, date(2026, 11, 22)) is False


@pytest.mark.parametrize(
    ("raw", "province", "city", "district", "adcode"),
    [
        ("广东省深圳市南山区科技园南区高新南七道1号", "广东省", "深圳市", "南山区", "440305"),
        ("北京市朝阳区建国路88号", "北京市", "北京市", "朝阳区", "110105"),
        ("上海浦东新区张江路100号", "上海市", "上海市", "浦东新区", "310115"),
        ("杭州市西湖区文三路90号", "浙江省", "杭州市", "西湖区", "330106"),
    ],
)
def test_address_parsing(raw: str, province: str, city: str, district: str, adcode: str) -> None:
    parsed = parse_address(raw)
    assert (parsed.province, parsed.city, parsed.district, parsed.adcode) == (province, city, district, adcode)
    assert parsed.longitude is not None and 73 < parsed.longitude < 135
    assert parsed.latitude is not None and 18 < parsed.latitude < 54


def test_unparseable_address_keeps_the_text_without_inventing_a_place() -> None:
    parsed = parse_address("门口第三棵树旁边")
    assert (parsed.province, parsed.city, parsed.district, parsed.adcode, parsed.longitude) == (
        None,
        None,
        None,
        None,
        None,
    )
