"""What the SLA screens share: the gate, labels of stored values (marked for the English catalog), how a
target's length is shown, and bounded form values."""

from __future__ import annotations

from typing import Annotated, Any

from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.core.i18n import N_
from aftersales.sla import service as sla_service

Admin = Annotated[SignedIn, page(Permission.SLA_MANAGE)]

UNITS = {"minutes": N_("分钟"), "hours": N_("小时")}
CALENDAR_KINDS = {"always": N_("7×24 全天候"), "weekly": N_("每周固定时间"), "statutory": N_("法定工作日")}
WEEKDAYS = (N_("周一"), N_("周二"), N_("周三"), N_("周四"), N_("周五"), N_("周六"), N_("周日"))
DAY_KINDS = {"holiday": N_("节假日（休息）"), "workday": N_("调休上班")}


def clip(value: object, limit: int = 32) -> str:
    """A form or query value as bounded, stripped text."""
    return str(value or "").strip()[:limit]


def span(minutes: int | None) -> tuple[int, str] | None:
    """A target as the form shows it: whole hours in hours, anything else in minutes."""
    if minutes is None:
        return None
    return (minutes // 60, "hours") if minutes % 60 == 0 else (minutes, "minutes")


def labels() -> dict[str, Any]:
    """What every SLA template uses to show stored values."""
    return {
        "units": UNITS,
        "calendar_kinds": CALENDAR_KINDS,
        "weekdays": WEEKDAYS,
        "day_kinds": DAY_KINDS,
        "span": span,
        "onsite_kinds": sla_service.ONSITE_KINDS,
    }
