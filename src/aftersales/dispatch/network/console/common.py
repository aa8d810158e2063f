"""What the service-network screens share: the gate, labels of stored values (marked for the English
catalog), lenient parsing of what people type, and a service error as field messages."""

from __future__ import annotations

import re
from typing import Annotated, Any

from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.core.errors import DomainError
from aftersales.core.i18n import N_
from aftersales.customers import geo
from aftersales.web.messages import domain_message

Admin = Annotated[SignedIn, page(Permission.NETWORK_MANAGE)]

POINT_KINDS = {
    "service_center": N_("服务中心"),
    "hq_tech_center": N_("总部技术中心"),
    "regional_provider": N_("区域授权服务商"),
    "quick_repair_point": N_("快修点"),
}
ORGANISATION_KINDS = {"service_center": N_("服务中心"), "provider": N_("授权服务商")}
CITY_TYPES = {"urban": N_("城区"), "suburban": N_("城郊"), "rural": N_("乡村")}
# Skills are "<product line>:<ticket kind>" (dispatch.network.rules); the grid offers the field kinds.
PRODUCT_LINES = {
    "*": N_("全部产品"),
    "lock": N_("智能门锁"),
    "tablet": N_("学习平板"),
    "watch": N_("儿童手表"),
    "purifier": N_("净水器"),
    "airer": N_("晾衣机"),
    "any": N_("未知型号"),
}
SKILL_KINDS = {"repair": N_("报修"), "installation": N_("安装"), "consultation": N_("咨询"), "complaint": N_("投诉")}
GRID_LINES = ("*", "lock", "tablet", "watch", "purifier", "airer")
GRID_KINDS = ("repair", "installation")
MAX_FIELD = 64
_NUMBER = re.compile(r"^-?\d{1,4}(\.\d{1,15})?$")
_SPLIT = re.compile(r"[\s,，、;；]+")


def clip(value: object, limit: int = MAX_FIELD) -> str:
    """A form or query value as bounded, stripped text."""
    return str(value or "").strip()[:limit]


def words(text: str) -> list[str]:
    """'a, b；c d' → ['a', 'b', 'c', 'd'] (commas of either width, semicolons, blanks)."""
    return [part for part in _SPLIT.split(text) if part]


def number(text: str) -> float | None:
    """A plain decimal number as typed (no exponent, no infinity), or None."""
    return float(text) if _NUMBER.match(text) else None


def skill_parts(skill: str) -> tuple[str, str]:
    """'lock:repair' → ('智能门锁', '报修') as marked labels (unknown parts as they are)."""
    line, _, kind = skill.partition(":")
    return PRODUCT_LINES.get(line, line), SKILL_KINDS.get(kind, kind)


def district_label(adcode: str) -> str:
    """A district's name (its code when cpca does not know it)."""
    return geo.district_name(adcode) or adcode


def service_fields(error: DomainError, _: Any, aliases: dict[str, str]) -> dict[str, str]:
    """The fields a service error names (in the form's names), each with the error's message."""
    message = domain_message(error, _)
    return {aliases.get(name, name): message for name in error.fields}


def labels() -> dict[str, Any]:
    """What every network template uses to show stored values."""
    return {
        "point_kinds": POINT_KINDS,
        "organisation_kinds": ORGANISATION_KINDS,
        "city_types": CITY_TYPES,
        "product_lines": PRODUCT_LINES,
        "skill_kinds": SKILL_KINDS,
        "grid_lines": GRID_LINES,
        "grid_kinds": GRID_KINDS,
        "skill_parts": skill_parts,
        "district_label": district_label,
    }
