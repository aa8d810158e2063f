"""Chinese message templates per notification kind (subject + body): every message in the outbox is one
of these, filled with its context when it is enqueued (``service.enqueue`` / ``service.enqueue_many``).

Templates are Jinja2 strings rendered as plain text (no HTML escaping). Each has a ``sample`` context
that names every field it takes (optional parts are passed empty) and that the tests render; a context
without one of those fields, or a kind with no template, is refused before anything is written, so a
caller that forgets a field gets an error at enqueue time instead of a customer reading "None".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from jinja2 import Environment, StrictUndefined, Template

_environment = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


class MessageTemplateError(LookupError):
    """No template for the kind, or a context without every field of the template (a programming error)."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


@dataclass(frozen=True)
class MessageTemplate:
    subject: str
    body: str
    sample: Mapping[str, Any]  # example context: documents the fields and is rendered by the tests


TICKET = "SH20261122-000123"

TEMPLATES: dict[str, MessageTemplate] = {
    # feedback: the survey link once a result is in.
    "visit_invitation": MessageTemplate(
        subject="工单 {{ ticket_number }} 服务评价邀请",
        body="您好，您的工单 {{ ticket_number }} 已处理完毕。请花 1 分钟评价本次服务：{{ survey_url }}"
        "（{{ valid_days }} 天内有效）。客服也可能致电回访，感谢支持。",
        sample={"ticket_number": TICKET, "survey_url": "https://example.cn/survey/abc", "valid_days": 7},
    ),
    # dispatch: the customer's visit window, booked or changed.
    "appointment": MessageTemplate(
        subject="工单 {{ ticket_number }} 上门时间{% if rescheduled %}已变更{% else %}已确认{% endif %}",
        body="您好，您的工单 {{ ticket_number }} 上门时间{% if rescheduled %}已改为{% else %}为{% endif %}"
        " {{ window }}，师傅出发前会与您联系。",
        sample={"ticket_number": TICKET, "window": "11月23日 14:00–16:00", "rescheduled": False},
    ),
    "on_the_way": MessageTemplate(
        subject="工单 {{ ticket_number }} 师傅已出发",
        body="您好，为您服务的师傅已出发{% if eta_minutes is not none %}，预计约 {{ eta_minutes }} 分钟到达{% endif %}"
        "，请保持电话畅通。工单号 {{ ticket_number }}。",
        sample={"ticket_number": TICKET, "eta_minutes": 25},
    ),
    "confirmation_code": MessageTemplate(
        subject="工单 {{ ticket_number }} 完工确认码",
        body="您的工单 {{ ticket_number }} 完工确认码为 {{ code }}，{{ minutes }} 分钟内有效。"
        "请在确认服务已完成后再告知师傅，切勿告知他人。",
        sample={"ticket_number": TICKET, "code": "482913", "minutes": 30},
    ),
    "job_declined": MessageTemplate(
        subject="工单 {{ ticket_number }} 被拒单",
        body="{{ technician }} 拒绝了工单 {{ ticket_number }}：{{ reason }}。工单已退回调度台，请重新派单。",
        sample={"ticket_number": TICKET, "technician": "tech_li", "reason": "缺少所需配件"},
    ),
    "emergency_dispatch": MessageTemplate(
        subject="紧急工单 {{ ticket_number }}",
        body="紧急工单 {{ ticket_number }}（{{ address }}），请完成当前任务后前往，"
        "预计 {{ eta }} 到达，上门时限 {{ due_at }}。",
        sample={"ticket_number": TICKET, "address": "深圳市南山区科技园1号", "eta": "15:20", "due_at": "16:00"},
    ),
    "dispatch_escalation": MessageTemplate(
        subject="紧急工单 {{ ticket_number }} 无法按时上门",
        body="工单 {{ ticket_number }}：{{ reason }}。请人工协调。",
        sample={"ticket_number": TICKET, "reason": "没有具备该技能且服务区域覆盖该地址的技术员"},
    ),
    # tickets: SLA warnings to the assignee and supervisors; a breach to the assignee, escalated once.
    "sla_warning": MessageTemplate(
        subject="【SLA 预警】工单 {{ ticket_number }} {{ targets }}即将超时",
        body="工单 {{ ticket_number }} 的{{ targets }}时限为 {{ due_at }}，已用 80% 时限，请尽快处理。",
        sample={"ticket_number": TICKET, "targets": "首次联系、上门到达", "due_at": "2026-11-22 22:00"},
    ),
    "sla_breached": MessageTemplate(
        subject="【SLA 超时】工单 {{ ticket_number }} {{ targets }}已超时",
        body="工单 {{ ticket_number }} 的{{ targets }}时限 {{ due_at }} 已过，请立即处理。",
        sample={"ticket_number": TICKET, "targets": "解决", "due_at": "2026-11-23 10:00"},
    ),
    "sla_escalation": MessageTemplate(
        subject="【升级】【SLA 超时】工单 {{ ticket_number }} {{ targets }}已超时",
        body="工单 {{ ticket_number }} 的{{ targets }}时限 {{ due_at }} 已过，请立即处理。 已升级至主管。",
        sample={"ticket_number": TICKET, "targets": "上门到达", "due_at": "2026-11-23 10:00"},
    ),
    # feedback: promises made to the customer.
    "promise_assigned": MessageTemplate(
        subject="工单 {{ ticket_number }} 有一项承诺由您负责",
        body="承诺内容：{{ promise }}；期限 {{ due_at }}。",
        sample={"ticket_number": TICKET, "promise": "明天上午回电告知配件到货时间", "due_at": "11月23日 12:00"},
    ),
    "promise_alert": MessageTemplate(
        subject="工单 {{ ticket_number }} 的承诺{{ reason }}",
        body="承诺内容：{{ promise }}；期限 {{ due_at }}，{{ reason }}。",
        sample={
            "ticket_number": TICKET,
            "promise": "明天上午回电告知配件到货时间",
            "due_at": "11月23日 12:00",
            "reason": "超过期限仍未确认",
        },
    ),
    # the assistant handed a conversation over to a person; to the assignee or the agents.
    "assistant_handoff": MessageTemplate(
        subject="【转人工】{% if is_angry %}客户情绪激动，{% endif %}请接手工单 {{ ticket_number }}",
        body="智能助手已将客户转人工，工单 {{ ticket_number }}。客户最后说：{{ text }}"
        "{% if cues %}\n情绪线索：{{ cues }}{% endif %}",
        sample={
            "ticket_number": TICKET,
            "text": "你们这锁三天两头坏，再不修我就投诉到12315",
            "is_angry": True,
            "cues": "12315、投诉",
        },
    ),
    # feedback: a return visit's answers opened a follow-up complaint; to the visit's owner and supervisor.
    "follow_up_complaint": MessageTemplate(
        subject="【回访跟进】工单 {{ ticket_number }} {% if is_angry %}客户不满{% else %}评分偏低{% endif %}"
        "，已开跟进工单 {{ follow_up_number }}",
        body="工单 {{ ticket_number }} 的回访：{{ reason }}。已开跟进投诉工单 {{ follow_up_number }}，请尽快联系客户。"
        "{% if comment %}\n客户评价：{{ comment }}{% endif %}",
        sample={
            "ticket_number": TICKET,
            "follow_up_number": "SH20261123-000045",
            "reason": "服务态度 评分不高于 2 分；评价中有明显不满",
            "is_angry": True,
            "comment": "非常生气，师傅迟到两个小时",
        },
    ),
    # quality: a rectification task for the technician.
    "quality_rectification": MessageTemplate(
        subject="工单 {{ ticket_number }} 有一项质检整改",
        body="整改内容：{{ task }}；请于期限前完成。",
        sample={"ticket_number": TICKET, "task": "质检不合格，整改「现场清洁」：未清理包装"},
    ),
    # knowledge: a bulletin to its departments (per version), and "fixed" to the customers of linked tickets.
    "bulletin": MessageTemplate(
        subject="【已知问题{% if action == 'published' %}新发布{% elif action == 'fixed' %}已修复"
        "{% elif action == 'withdrawn' %}已撤回{% else %}已更新{% endif %}】{{ number }} {{ title }}",
        body="已知问题 {{ number }}：{{ title }}\n"
        "影响产品：{{ products or '全部' }}{% if versions %}；影响版本：{{ versions }}{% endif %}\n"
        "原因：{{ cause }}\n"
        "临时解决办法：{{ workaround }}"
        "{% if agent_script %}\n客服话术：{{ agent_script }}{% endif %}"
        "{% if expected_fix_at %}\n预计修复时间：{{ expected_fix_at }}{% endif %}"
        "{% if fix_note %}\n修复说明：{{ fix_note }}{% endif %}",
        sample={
            "action": "published",
            "number": "KB-20261122-001",
            "title": "指纹识别率下降",
            "products": "YL-S7、YL-S8",
            "versions": "2.3.1",
            "cause": "固件 2.3.1 传感器校准参数错误",
            "workaround": "重新录入指纹",
            "agent_script": "请客户先用密码开门",
            "expected_fix_at": "2026-12-05 18:00",
            "fix_note": "",
        },
    ),
    "bulletin_fixed": MessageTemplate(
        subject="工单 {{ ticket_number }} 反映的问题已修复",
        body="您好，您在工单 {{ ticket_number }} 中反映的问题（{{ title }}）已修复"
        "{% if fix_note %}：{{ fix_note }}{% endif %}。如仍有问题，请直接回复或致电客服。",
        sample={"ticket_number": TICKET, "title": "指纹识别率下降", "fix_note": "请将固件升级到 2.3.2"},
    ),
    # analytics: a hot or surging topic, to the managers.
    "hot_issue": MessageTemplate(
        subject="热点问题：{{ label }}（{% if is_hot %}占比 {{ '{:.0%}'.format(share) }}"
        "{% else %}激增（{{ count }} 单，基线 {{ baseline }}/窗口）{% endif %}）",
        body="近 {{ window }} 内共 {{ total }} 单，其中 {{ count }} 单为此问题。\n示例："
        "{% for example in examples %}\n{{ example }}{% endfor %}",
        sample={
            "label": "门锁问题",
            "is_hot": True,
            "share": 0.31,
            "count": 31,
            "baseline": 4.5,
            "window": timedelta(days=1),
            "total": 100,
            "examples": ["指纹锁识别失败", "门锁无法反锁"],
        },
    ),
}

_compiled: dict[str, tuple[Template, Template]] = {}


def render(kind: str, context: Mapping[str, Any]) -> Rendered:
    """The subject and body of ``kind`` filled with ``context``; ``MessageTemplateError`` for an unknown
    kind or a context without one of the template's fields."""
    template = TEMPLATES.get(kind)
    if template is None:
        raise MessageTemplateError(f"no template for notification kind {kind!r}")
    missing = [name for name in template.sample if name not in context]
    if missing:
        raise MessageTemplateError(f"notification {kind!r} needs {', '.join(missing)}")
    if kind not in _compiled:
        _compiled[kind] = (_environment.from_string(template.subject), _environment.from_string(template.body))
    subject, body = _compiled[kind]
    return Rendered(subject=subject.render(context), body=body.render(context))
