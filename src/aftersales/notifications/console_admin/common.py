"""What the notification admin screens share: labels of stored values (marked for the English catalog)
and lenient reading of what people type into forms."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from aftersales.core.i18n import N_
from aftersales.core.timeutil import LOCAL

CHANNELS = {
    "internal": N_("站内收件箱"),
    "wecom": N_("企业微信群机器人"),
    "email": N_("邮件"),
    "webhook": N_("Webhook"),
    "sms": N_("短信"),
}
STATUSES = {
    "pending": N_("待发送"),
    "sending": N_("发送中"),
    "sent": N_("已发送"),
    "failed": N_("失败（死信）"),
    "suppressed": N_("已屏蔽"),
}
BAD_DATE = N_("日期格式应为 年-月-日")
BAD_TIME = N_("请输入 时:分，如 22:00")
MAX_FIELD = 64


def clip(value: object, size: int = MAX_FIELD) -> str:
    """A form or query value as bounded, stripped text."""
    return str(value or "").strip()[:size]


def parse_day(text: str) -> date | None:
    """A 年-月-日 date, or None when it is not one."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_clock(text: str) -> time | None:
    """A 时:分 time of day, or None when it is not one."""
    try:
        parsed = time.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(second=0, microsecond=0, tzinfo=None)


def parse_id(text: str) -> int | None:
    """A positive row id typed or chosen in a form, or None."""
    return int(text) if text.isdigit() and 0 < int(text) < 2**63 else None


def day_start(day: date) -> datetime:
    """Local midnight at the start of ``day``."""
    return datetime.combine(day, time(0, 0), tzinfo=LOCAL)


def day_end(day: date) -> datetime:
    """Local midnight at the end of ``day`` (the exclusive end of a period that includes it)."""
    return day_start(day + timedelta(days=1))
