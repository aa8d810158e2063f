"""What the triage screens share: labels of stored values (marked for the English catalog), the gates, and
lenient reading of what people type into forms."""

from __future__ import annotations

import re
from typing import Annotated

from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.core.i18n import N_

# Rules and models are changed by those who manage rules (as on the API); anyone who may triage may try it.
Manager = Annotated[SignedIn, page(Permission.RULES_MANAGE)]
User = Annotated[SignedIn, page(Permission.TRIAGE_USE)]

# The held-out metrics ``triage.evaluation`` stores with a version, in the order a reader wants them.
METRICS = {
    "kind_accuracy": N_("类型准确率"),
    "priority_macro_f1": N_("优先级宏平均 F1"),
    "fault_type_top1": N_("故障类型 Top-1 准确率"),
    "fault_type_top3": N_("故障类型 Top-3 命中率"),
    "product_model_accuracy": N_("产品型号准确率"),
    "anger_accuracy": N_("愤怒识别准确率"),
    "review_sentiment_accuracy": N_("评论情感准确率"),
    "train_messages": N_("评估训练集（条）"),
    "test_messages": N_("评估测试集（条）"),
    "test_groups": N_("测试场景组"),
    "near_duplicates_dropped_from_test": N_("测试集中剔除的近似重复（条）"),
    "review_test_messages": N_("评论测试集（条）"),
    "emotions_from_shipped_model": N_("情感与愤怒沿用出厂模型"),
}
# The ones shown in the versions table; every stored metric is listed under each version.
HEADLINE = ("kind_accuracy", "priority_macro_f1", "fault_type_top3", "anger_accuracy")
RATIOS = frozenset(name for name in METRICS if "accuracy" in name or "f1" in name or "top" in name)
_HISTORY = re.compile(r"^corpus\+history\((\d+)\)$")
_SEPARATORS = re.compile(r"[,，、;；\r\n]+")


def metric_text(name: str, value: object) -> str:
    """A stored metric as people read it: ratios as percentages, counts as they are."""
    if isinstance(value, bool):
        return "✓" if value else "—"
    if name in RATIOS and isinstance(value, int | float):
        return f"{value * 100:.1f}%"
    return str(value)


def source_parts(source: str) -> tuple[str, int | None]:
    """What a version was trained on: ("corpus", None) or ("history", the number of closed tickets)."""
    found = _HISTORY.match(source)
    return ("history", int(found.group(1))) if found else (source, None)


def clip(value: object, size: int) -> str:
    """A form value as stripped text of at most ``size`` characters (what was typed is kept for the redraw)."""
    return str(value or "").strip()[:size]


def keywords(text: str) -> list[str]:
    """ "漏水, 跑水、水漫" or one per line → the keywords, blanks dropped."""
    return [part.strip() for part in _SEPARATORS.split(text) if part.strip()]
