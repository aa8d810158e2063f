"""What the quality screens share: labels of stored values (marked for the English catalog) and lenient
parsing of the dates and numbers people type into forms."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

from aftersales.core.i18n import N_
from aftersales.core.timeutil import LOCAL, to_local

LEVELS = {"regional": N_("区域抽检"), "hq": N_("总部复检")}
LEVEL_RATES = {"regional": "20%", "hq": "5%"}
INSPECTION_STATUS = {"pending": N_("待质检"), "passed": N_("合格"), "failed": N_("不合格")}
RECTIFICATION_STATE = {"open": N_("整改中"), "overdue": N_("已逾期"), "done": N_("已完成")}
# quality.rules.CRITERIA's labels, marked here so the English console can show them.
CRITERIA = {
    "service_standard": N_("服务规范"),
    "repair_quality": N_("维修质量"),
    "cleanliness": N_("现场清洁"),
    "communication": N_("客户沟通"),
    "timeliness": N_("时效"),
}
COMPENSATION_KINDS = {
    "coupon": N_("代金券"),
    "cash": N_("现金补偿"),
    "extended_warranty": N_("延长保修"),
    "gift": N_("礼品"),
}
COMPENSATION_STATUS = {
    "proposed": N_("待审批"),
    "approved": N_("已批准"),
    "rejected": N_("已驳回"),
    "granted": N_("已发放"),
}
COMPENSATION_RULES = {"sla_breached": N_("超时补偿"), "repeat_repair": N_("重复维修补偿")}
# Values longer than this are not dates or numbers; they are not echoed back.
MAX_FIELD = 32
_AMOUNT = re.compile(r"^\d{1,7}(\.\d{1,2})?$")


def clip(value: object) -> str:
    """A form or query value as bounded, stripped text."""
    return str(value or "").strip()[:MAX_FIELD]


def parse_day(text: str) -> date | None:
    """A 年-月-日 date, or None when it is not one."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def day_start(day: date) -> datetime:
    """Local midnight at the start of ``day``."""
    return datetime.combine(day, time(0, 0), tzinfo=LOCAL)


def day_end(day: date) -> datetime:
    """Local midnight at the end of ``day`` (the exclusive end of a period that includes ``day``)."""
    return day_start(day + timedelta(days=1))


def parse_cents(text: str) -> int | None:
    """ "50" or "12.5" 元 as cents, or None when it is not an amount with at most two decimals."""
    if not _AMOUNT.match(text):
        return None
    whole, _, fraction = text.partition(".")
    return int(whole) * 100 + int((fraction + "00")[:2])


def yuan(cents: int) -> str:
    """12345 → "123.45"."""
    return f"{cents // 100}.{cents % 100:02d}"


def period(sample: Any) -> tuple[str, str]:
    """A sample's period as the local dates it covers (its stored end is exclusive)."""
    start, end = to_local(sample.period_start), to_local(sample.period_end)
    last = (end - timedelta(days=1)).date().isoformat() if end.time() == time(0, 0) else f"{end:%Y-%m-%d %H:%M}"
    return f"{start:%Y-%m-%d}" if start.time() == time(0, 0) else f"{start:%Y-%m-%d %H:%M}", last
