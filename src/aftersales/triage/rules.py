"""Pure intake classification by keyword rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

DEFAULT_KIND = "consultation"
DEFAULT_PRIORITY = "routine"
# When several rules set a priority, the most demanding one wins.
PRIORITY_RANK = {"urgent": 3, "complex": 2, "routine": 1}


@dataclass(frozen=True)
class RuleSpec:
    name: str
    keywords: tuple[str, ...]
    kind: str | None = None
    priority: str | None = None
    position: int = 100


@dataclass(frozen=True)
class Classification:
    kind: str
    priority: str
    reasons: list[str] = field(default_factory=list)
    kind_matched: bool = False
    priority_matched: bool = False


def normalise(text: str) -> str:
    """Lower-case, full-width to half-width, no spaces: keywords match however the text was typed."""
    half = "".join(chr(ord(c) - 0xFEE0) if 0xFF01 <= ord(c) <= 0xFF5E else c for c in text)
    return "".join(half.lower().split())


@lru_cache(maxsize=4096)
def _normalised_keyword(keyword: str) -> str:
    return normalise(keyword)


def classify(text: str, rules: Sequence[RuleSpec]) -> Classification:
    """Kind from the first matching kind rule (by position), priority from the highest matching one."""
    normalised = normalise(text)
    kind: str | None = None
    priority: str | None = None
    reasons: list[str] = []
    for rule in sorted(rules, key=lambda r: (r.position, r.name)):
        hit = next(
            (keyword for keyword in rule.keywords if (key := _normalised_keyword(keyword)) and key in normalised),
            None,
        )
        if hit is None:
            continue
        if rule.kind and kind is None:
            kind = rule.kind
            reasons.append(f"「{hit}」→ 类型 {rule.kind}（规则 {rule.name}）")
        if rule.priority and (priority is None or PRIORITY_RANK[rule.priority] > PRIORITY_RANK[priority]):
            priority = rule.priority
            reasons.append(f"「{hit}」→ 优先级 {rule.priority}（规则 {rule.name}）")
    if kind is None:
        reasons.append(f"无匹配类型规则 → 默认 {DEFAULT_KIND}")
    if priority is None:
        reasons.append(f"无匹配优先级规则 → 默认 {DEFAULT_PRIORITY}")
    return Classification(
        kind=kind or DEFAULT_KIND,
        priority=priority or DEFAULT_PRIORITY,
        reasons=reasons,
        kind_matched=kind is not None,
        priority_matched=priority is not None,
    )
