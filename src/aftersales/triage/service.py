"""Triage use cases: classify text with the stored rules; edit the rules. Flushes, never commits."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.core.db import core_connection, table_of
from aftersales.core.i18n import N_
from aftersales.triage import rules
from aftersales.triage.errors import InvalidRuleError, RuleExistsError, RuleNotFoundError
from aftersales.triage.models import IntakeRule

_rules_table = table_of(IntakeRule)
# Built once: it runs on every intake that lacks a kind or priority.
_ACTIVE_RULES = select(
    _rules_table.c.name, _rules_table.c.keywords, _rules_table.c.kind, _rules_table.c.priority, _rules_table.c.position
).where(_rules_table.c.is_active.is_(True))


# The rules are read on every intake that lacks a kind or priority; they change rarely. A process keeps
# them for RULES_TTL_SECONDS; edits made through this module take effect at once in this process and
# within that time in the others.
RULES_TTL_SECONDS = 5.0
_cache_lock = threading.Lock()
_cache: tuple[float, list[rules.RuleSpec]] | None = None


def invalidate_rules_cache() -> None:
    """Forget the cached rules (after an edit)."""
    global _cache
    with _cache_lock:
        _cache = None


def _specs(session: Session) -> list[rules.RuleSpec]:
    global _cache
    now = time.monotonic()
    with _cache_lock:
        if _cache is not None and now - _cache[0] < RULES_TTL_SECONDS:
            return _cache[1]
    specs = [
        rules.RuleSpec(name=r.name, keywords=tuple(r.keywords), kind=r.kind, priority=r.priority, position=r.position)
        for r in core_connection(session).execute(_ACTIVE_RULES)
    ]
    with _cache_lock:
        _cache = (now, specs)
    return specs


def classify(session: Session, text: str) -> rules.Classification:
    """Kind and priority proposed for a request's text, with the reasons."""
    return rules.classify(text, _specs(session))


def list_rules(session: Session) -> list[IntakeRule]:
    """All rules in evaluation order."""
    return list(session.scalars(select(IntakeRule).order_by(IntakeRule.position, IntakeRule.name)).all())


def add_rule(
    session: Session,
    *,
    name: str,
    keywords: list[str],
    kind: str | None,
    priority: str | None,
    position: int = 100,
) -> IntakeRule:
    """Add a rule; it needs at least one keyword and a kind or a priority."""
    cleaned = [keyword.strip() for keyword in keywords if keyword.strip()]
    if not cleaned:
        problem = N_("至少需要一个关键词")
        raise InvalidRuleError(problem, fields={"keywords": problem})
    if kind is None and priority is None:
        problem = N_("规则须设置类型或优先级")
        raise InvalidRuleError(problem, fields={"kind": problem})
    if priority is not None and priority not in rules.PRIORITY_RANK:
        raise InvalidRuleError(N_("未知优先级 %(priority)s"), {"priority": priority}, fields={"priority": priority})
    if session.scalar(select(IntakeRule.id).where(IntakeRule.name == name)) is not None:
        raise RuleExistsError(N_("规则 %(name)s 已存在"), {"name": name}, fields={"name": name})
    rule = IntakeRule(name=name, keywords=cleaned, kind=kind, priority=priority, position=position, is_active=True)
    session.add(rule)
    session.flush()
    invalidate_rules_cache()
    return rule


def delete_rule(session: Session, *, name: str) -> None:
    """Remove a rule by name."""
    rule = session.scalar(select(IntakeRule).where(IntakeRule.name == name))
    if rule is None:
        raise RuleNotFoundError(N_("规则 %(name)s 不存在"), {"name": name}, fields={"name": name})
    session.delete(rule)
    session.flush()
    invalidate_rules_cache()
