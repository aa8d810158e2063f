"""Pure customer rules: phone normalisation, validation and masking; warranty."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from aftersales.core.i18n import N_
from aftersales.customers.enums import PhoneKind

_SEPARATORS = re.compile(r"[\s\-()（）]")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Area code 010/02x (3 digits) with an 8-digit number, or 0xxx (4 digits) with 7–8 digits.
_LANDLINE = re.compile(r"^(0(?:10|2\d)|0[3-9]\d{2})(\d{7,8})(?:#(\d{1,6}))?$")


@dataclass(frozen=True)
class Phone:
    """A normalised mainland China phone number."""

    number: str
    kind: PhoneKind


PHONE_ERROR = N_("请输入有效的手机号（11 位，1 开头）或带区号的固定电话，如 010-62345678")


def parse_phone(raw: str) -> Phone | None:
    """Normalise a mainland mobile or landline number; None when it is not one."""
    text = raw.strip().replace("转", "#").replace("－", "-")
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    compact = _SEPARATORS.sub("", text)
    if _MOBILE.fullmatch(compact):
        return Phone(compact, PhoneKind.MOBILE)
    match = _LANDLINE.fullmatch(compact)
    if match:
        area, local, extension = match.groups()
        if len(area) == 3 and len(local) != 8:
            return None
        if local[0] in "01":
            return None
        number = f"{area}-{local}" + (f"#{extension}" if extension else "")
        return Phone(number, PhoneKind.LANDLINE)
    return None


def mask_phone(number: str) -> str:
    """138****1234 for mobiles, 010-****5678 for landlines: safe for lists and logs."""
    if _MOBILE.fullmatch(number):
        return f"{number[:3]}****{number[-4:]}"
    if "-" in number:
        area, rest = number.split("-", 1)
        local = rest.split("#", 1)[0]
        return f"{area}-****{local[-4:]}"
    if len(number) >= 7:
        return f"{number[:3]}****{number[-4:]}"
    return "****"


def is_under_warranty(warranty_end: date | None, on: date) -> bool:
    """True when the product is still covered on the given date."""
    return warranty_end is not None and on <= warranty_end


def default_warranty_end(purchase_date: date, warranty_months: int) -> date:
    """Purchase date plus whole months (clamped to the month's last day), minus nothing."""
    month_index = purchase_date.month - 1 + warranty_months
    year = purchase_date.year + month_index // 12
    month = month_index % 12 + 1
    for day in (purchase_date.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise ValueError("unreachable")
