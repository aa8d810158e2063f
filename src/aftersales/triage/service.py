"""Triage use cases: classify text with the stored rules; add, change and remove the rules (a change carries
the fingerprint of the rule it was drawn from, so a newer edit is never silently overwritten). Flushes, never
commits."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.core.db import core_connection, table_of
from aftersales.core.i18n import N_
from aftersales.triage import rules
from aftersales.triage.errors import InvalidRuleError, RuleChangedError, RuleExistsError, RuleNotFoundError
from aftersales.triage.models import IntakeRule

# What a rule may set, and how much it may hold.
KINDS = ("consultation", "installation", "repair", "complaint")
MAX_NAME = 100
MAX_KEYWORD = 50
MAX_KEYWORDS = 100

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


def get_rule(session: Session, rule_id: int) -> IntakeRule:
    """One rule by id."""
    rule = session.get(IntakeRule, rule_id)
    if rule is None:
        raise RuleNotFoundError(N_("规则 %(name)s 不存在"), {"name": rule_id})
    return rule


def rule_values(rule: IntakeRule) -> dict[str, Any]:
    """A rule as the audit trail records it (and as its fingerprint is built)."""
    return {
        "name": rule.name,
        "keywords": list(rule.keywords),
        "kind": rule.kind,
        "priority": rule.priority,
        "position": rule.position,
        "is_active": rule.is_active,
    }


def rule_fingerprint(rule: IntakeRule) -> str:
    """The rule's current state in a short string: a form sends it back to show what it was drawn from."""
    text = json.dumps(rule_values(rule), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _checked(*, name: str, keywords: list[str], kind: str | None, priority: str | None) -> tuple[str, list[str]]:
    """The rule's name and keywords cleaned up; every problem is named by its field."""
    problems: dict[str, str] = {}
    name = name.strip()
    if not name:
        problems["name"] = N_("请填写规则名称")
    elif len(name) > MAX_NAME:
        problems["name"] = N_("规则名称不能超过 100 个字")
    cleaned = list(dict.fromkeys(keyword.strip() for keyword in keywords if keyword.strip()))
    if not cleaned:
        problems["keywords"] = N_("至少需要一个关键词")
    elif any(len(keyword) > MAX_KEYWORD for keyword in cleaned):
        problems["keywords"] = N_("每个关键词不能超过 50 个字")
    elif len(cleaned) > MAX_KEYWORDS:
        problems["keywords"] = N_("关键词不能超过 100 个")
    if kind is not None and kind not in KINDS:
        problems["kind"] = N_("请选择有效的类型")
    if priority is not None and priority not in rules.PRIORITY_RANK:
        problems["priority"] = N_("请选择有效的优先级")
    if kind is None and priority is None:
        problems["kind"] = N_("规则须设置类型或优先级")
    if problems:
        raise InvalidRuleError(N_("分诊规则有误，请按提示修改"), fields=problems)
    return name, cleaned


def _refuse_taken(session: Session, name: str) -> None:
    if session.scalar(select(IntakeRule.id).where(IntakeRule.name == name)) is not None:
        raise RuleExistsError(
            N_("规则 %(name)s 已存在"), {"name": name}, fields={"name": N_("已有同名规则，请换一个名称")}
        )


def add_rule(
    session: Session,
    *,
    name: str,
    keywords: list[str],
    kind: str | None,
    priority: str | None,
    position: int = 100,
) -> IntakeRule:
    """Add a rule; it needs a name, at least one keyword and a kind or a priority."""
    name, cleaned = _checked(name=name, keywords=keywords, kind=kind, priority=priority)
    _refuse_taken(session, name)
    rule = IntakeRule(name=name, keywords=cleaned, kind=kind, priority=priority, position=position, is_active=True)
    session.add(rule)
    session.flush()
    invalidate_rules_cache()
    return rule


def update_rule(
    session: Session,
    *,
    rule_id: int,
    name: str,
    keywords: list[str],
    kind: str | None,
    priority: str | None,
    position: int,
    is_active: bool,
    expected: str | None = None,
) -> IntakeRule:
    """Change a rule in place. ``expected``: the fingerprint the form was drawn from; when the rule changed
    since, nothing is saved."""
    rule = get_rule(session, rule_id)
    if expected is not None and expected != rule_fingerprint(rule):
        raise RuleChangedError(N_("该规则已被他人修改，请查看最新内容后再保存"))
    name, cleaned = _checked(name=name, keywords=keywords, kind=kind, priority=priority)
    if name != rule.name:
        _refuse_taken(session, name)
    rule.name, rule.keywords, rule.kind, rule.priority = name, cleaned, kind, priority
    rule.position, rule.is_active = position, is_active
    session.flush()
    invalidate_rules_cache()
    return rule


def delete_rule(session: Session, *, name: str, expected: str | None = None) -> None:
    """Remove a rule by name (``expected``: as for ``update_rule``)."""
    rule = session.scalar(select(IntakeRule).where(IntakeRule.name == name))
    if rule is None:
        raise RuleNotFoundError(N_("规则 %(name)s 不存在"), {"name": name}, fields={"name": name})
    if expected is not None and expected != rule_fingerprint(rule):
        raise RuleChangedError(N_("该规则已被他人修改，请查看最新内容后再保存"))
    session.delete(rule)
    session.flush()
    invalidate_rules_cache()
