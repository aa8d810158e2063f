"""What the admin screens share: labels of audit actions, record kinds and changed fields (marked for the
English catalog), the readable summary of an audit entry, bounded form values, and field messages for
errors whose services name the offending value rather than the problem."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from starlette.datastructures import FormData

from aftersales.accounts.models import AuditEntry
from aftersales.core.errors import DomainError
from aftersales.core.i18n import N_, Gettext
from aftersales.web.labels import EVENT, label
from aftersales.web.messages import field_messages

PAGE_SIZE = 25
MAX_VALUE = 80  # characters of one changed value shown in the trail
# Mainland mobile numbers inside a stored value are masked like everywhere else (138****1234).
_MOBILE = re.compile(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)")

ACTIONS = {
    "user.created": N_("创建用户"),
    "user.updated": N_("修改用户"),
    "user.enabled": N_("启用账户"),
    "user.disabled": N_("停用账户"),
    "user.password_set": N_("重设密码"),
    "user.locked": N_("账户锁定"),
    "organisation.created": N_("创建组织"),
    "organisation.updated": N_("修改组织"),
    "session.login": N_("登录"),
    "session.logout": N_("退出"),
    "token.created": N_("创建访问令牌"),
    "token.revoked": N_("吊销访问令牌"),
    "ticket.created": N_("创建工单"),
    "ticket.updated": N_("修改工单"),
}
ENTITIES = {
    "ticket": N_("工单"),
    "user": N_("用户"),
    "organisation": N_("组织"),
    "customer": N_("客户"),
    "console_session": N_("登录会话"),
    "api_token": N_("访问令牌"),
    "article": N_("知识文章"),
    "bulletin": N_("已知问题公告"),
    "synonym": N_("同义词"),
    "return_visit": N_("回访"),
    "triage_rule": N_("分类规则"),
    "quality_sample": N_("质检抽样"),
    "quality_inspection": N_("质检单"),
    "quality_rectification": N_("整改任务"),
    "compensation": N_("补偿"),
    "outbox_message": N_("通知消息"),
    "notification_preference": N_("通知偏好"),
    "day_plan": N_("日计划"),
}
FIELDS = {
    "username": N_("用户名"),
    "display_name": N_("姓名"),
    "role": N_("角色"),
    "organisation": N_("组织"),
    "is_active": N_("启用"),
    "sessions_ended": N_("结束的会话"),
    "tokens_revoked": N_("吊销的令牌"),
    "locked_until": N_("锁定至"),
    "code": N_("编码"),
    "name": N_("名称"),
    "kind": N_("类型"),
    "parent": N_("上级机构"),
    "city": N_("城市"),
    "status": N_("状态"),
    "priority": N_("优先级"),
    "note": N_("备注"),
    "user": N_("用户"),
    "prefix": N_("令牌前缀"),
    "scope": N_("范围"),
    "expires_at": N_("到期时间"),
}
# Which label group a changed value takes, by record kind and field (the value itself when none fits).
VALUE_GROUPS = {
    ("organisation", "kind"): "org_kind",
    ("ticket", "kind"): "kind",
    ("ticket", "status"): "status",
    ("ticket", "priority"): "priority",
}


@dataclass(frozen=True)
class Change:
    """One changed field of an audit entry, as shown: its label, the value before and after (None: not
    recorded on that side)."""

    field: str
    before: str | None
    after: str | None


def clip(value: object, size: int = 64) -> str:
    """A form or query value as bounded, stripped text."""
    return str(value or "").strip()[:size]


def form_values(form: FormData, names: tuple[str, ...], size: int = 200) -> dict[str, str]:
    """The named fields of a form as bounded text ('' when absent)."""
    return {name: clip(form.get(name), size) for name in names}


def form_version(form: FormData) -> int | None:
    """The record version a form was drawn with (its hidden ``version`` field); None when absent or not a
    number (the save is then not checked against a version, as from the CLI)."""
    text = clip(form.get("version"), 12)
    return int(text) if text.isdigit() else None


def parse_day(text: str) -> date | None:
    """A 年-月-日 date, or None when it is not one."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def action_label(action: str) -> str:
    """The marked label of an audit action (a ticket's event by its timeline label), else the action."""
    if action in ACTIONS:
        return ACTIONS[action]
    area, _, step = action.partition(".")
    if area == "ticket" and step in EVENT:
        return EVENT[step]
    return action


def _shown(entry: AuditEntry, name: str, value: Any, _: Gettext) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    group = "role" if name == "role" else VALUE_GROUPS.get((entry.entity_type, name))
    if group is not None:
        return _(label(group, value))
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return shorten(text, MAX_VALUE)


def shorten(text: str, size: int) -> str:
    """Text as the trail shows it: mobile numbers masked, at most ``size`` characters."""
    text = _MOBILE.sub(r"\1****\2", text)
    return text if len(text) <= size else text[: size - 1] + "…"


def summary(entry: AuditEntry, _: Gettext) -> list[Change]:
    """What an entry recorded, field by field, in the reader's language."""
    before, after = entry.before or {}, entry.after or {}
    names = list(dict.fromkeys([*after, *before]))
    return [
        Change(
            _(FIELDS[name]) if name in FIELDS else name,
            _shown(entry, name, before[name], _) if name in before else None,
            _shown(entry, name, after[name], _) if name in after else None,
        )
        for name in names
    ]


def form_fields(error: DomainError, _: Gettext, value_fields: dict[str, str]) -> dict[str, str]:
    """Field → problem for a refused form. Some services name the offending value under a field (the CLI
    prints it); for those error codes (``value_fields``: code → the form's field) the field gets the
    error's own message instead."""
    fields = field_messages(error, _)
    target = value_fields.get(error.code)
    if target is not None:
        fields = {name: text for name, text in fields.items() if name != target}
        fields[target] = error.render(_, label)
    return fields
