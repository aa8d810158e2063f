"""Defaults shared by the builders: the frozen test city's customer, product and words, and the zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
PASSWORD = "secret-pass-1"

CUSTOMER_NAME = "张三"
CUSTOMER_PHONE = "13800138000"
CUSTOMER_ADDRESS = "广东省深圳市南山区科技园南区高新南七道1号"
PRODUCT_MODEL = "YL-S7"
SERIAL_NUMBER = "SN-0001"
DESCRIPTION = "指纹锁识别失败，需要上门维修"

# Shenzhen Nanshan (the default customer's district): a technician's home and a service point's site.
NANSHAN = (113.93, 22.53)
SHENZHEN_CENTER = (113.95, 22.54)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware datetime in Asia/Shanghai."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)
