"""Chinese message templates per event kind (subject + body), rendered when a message is enqueued.

Templates are Jinja2 strings rendered as plain text (no HTML escaping) with strict undefined variables,
so a caller that forgets a field gets an error at enqueue time instead of a customer reading "None".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, StrictUndefined, Template

_environment = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


@dataclass(frozen=True)
class MessageTemplate:
    subject: str
    body: str
    sample: Mapping[str, Any]  # example context: documents the fields and is rendered by the tests


TEMPLATES: dict[str, MessageTemplate] = {
    "visit_invitation": MessageTemplate(
        subject="工单 {{ ticket_number }} 服务评价邀请",
        body="{{ customer_name }}您好，您的工单 {{ ticket_number }} 已处理完毕。请花 1 分钟评价本次服务："
        "{{ survey_url }}（{{ valid_days }} 天内有效）。客服也可能致电回访，感谢支持。",
        sample={
            "customer_name": "张女士",
            "ticket_number": "SH20261122-000123",
            "survey_url": "https://example.cn/s/abc",
            "valid_days": 7,
        },
    ),
    "appointment": MessageTemplate(
        subject="工单 {{ ticket_number }} 上门时间已预约",
        body="{{ customer_name }}您好，工程师{{ technician_name }}将于 {{ window }} 上门服务"
        "（工单 {{ ticket_number }}）。如需改约请致电 {{ hotline }}。",
        sample={
            "customer_name": "张女士",
            "ticket_number": "SH20261122-000123",
            "technician_name": "李师傅",
            "window": "11月23日 14:00–16:00",
            "hotline": "400-800-1234",
        },
    ),
    "on_the_way": MessageTemplate(
        subject="工程师已出发",
        body="{{ customer_name }}您好，工程师{{ technician_name }}已出发，预计 {{ eta }} 到达"
        "{% if technician_phone %}，联系电话 {{ technician_phone }}{% endif %}。",
        sample={
            "customer_name": "张女士",
            "technician_name": "李师傅",
            "eta": "14:30",
            "technician_phone": "13900001111",
        },
    ),
    "confirmation_code": MessageTemplate(
        subject="服务确认码",
        body="您的服务确认码为 {{ code }}，{{ minutes }} 分钟内有效。请在工程师完成服务后再告知对方。",
        sample={"code": "482913", "minutes": 30},
    ),
    "sla_warning": MessageTemplate(
        subject="【时效预警】工单 {{ ticket_number }} {{ target }}即将超时",
        body="工单 {{ ticket_number }} 的{{ target }}将于 {{ due_at }} 到期，已用时 {{ percent }}%。请尽快处理。",
        sample={"ticket_number": "SH20261122-000123", "target": "首次联系", "due_at": "11月22日 22:00", "percent": 80},
    ),
    "sla_breached": MessageTemplate(
        subject="【已超时】工单 {{ ticket_number }} {{ target }}已超时",
        body="工单 {{ ticket_number }} 的{{ target }}已于 {{ due_at }} 超时，请立即处理并说明原因。",
        sample={"ticket_number": "SH20261122-000123", "target": "问题解决", "due_at": "11月23日 10:00"},
    ),
    "sla_escalation": MessageTemplate(
        subject="【升级】工单 {{ ticket_number }} 超时未处理",
        body="工单 {{ ticket_number }}（处理人：{{ assignee }}）的{{ target }}已超时，已升级至您，请督办。",
        sample={"ticket_number": "SH20261122-000123", "assignee": "王五", "target": "上门"},
    ),
    "emergency_dispatch": MessageTemplate(
        subject="【紧急派单】工单 {{ ticket_number }}",
        body="紧急工单 {{ ticket_number }} 已插入您今天的行程，地址：{{ address }}，须在 {{ due_at }} 前到达。",
        sample={"ticket_number": "SH20261122-000123", "address": "深圳市南山区科技园1号", "due_at": "16:00"},
    ),
    "dispatch_escalation": MessageTemplate(
        subject="【派单失败】工单 {{ ticket_number }} 需人工处理",
        body="工单 {{ ticket_number }} 无法自动派单：{{ reason }}。请人工安排工程师。",
        sample={"ticket_number": "SH20261122-000123", "reason": "服务区域内没有可用工程师"},
    ),
    "bulletin_published": MessageTemplate(
        subject="【已知问题】{{ title }}",
        body="{{ product_model }} 已知问题：{{ title }}。原因：{{ cause }}。"
        "{% if workaround %}临时处理：{{ workaround }}。{% endif %}预计修复：{{ eta }}。",
        sample={
            "title": "指纹识别率下降",
            "product_model": "YL-S7",
            "cause": "固件 2.3.1 传感器校准参数错误",
            "workaround": "重新录入指纹",
            "eta": "12月5日",
        },
    ),
    "bulletin_fixed": MessageTemplate(
        subject="【问题已修复】{{ title }}",
        body="您反馈的 {{ product_model }} 问题“{{ title }}”已修复：{{ fix }}。如仍有问题请回复或致电 {{ hotline }}。",
        sample={
            "title": "指纹识别率下降",
            "product_model": "YL-S7",
            "fix": "请将固件升级到 2.3.2",
            "hotline": "400-800-1234",
        },
    ),
    "promise_due": MessageTemplate(
        subject="【承诺到期】工单 {{ ticket_number }}",
        body="对客户的承诺“{{ promise }}”将于 {{ due_at }} 到期（工单 {{ ticket_number }}），请按时兑现。",
        sample={
            "ticket_number": "SH20261122-000123",
            "promise": "明天上午回电告知配件到货时间",
            "due_at": "11月23日 12:00",
        },
    ),
}

_compiled: dict[str, tuple[Template, Template]] = {}


def render(kind: str, context: Mapping[str, Any]) -> Rendered:
    """The subject and body of ``kind`` filled with ``context``; KeyError for an unknown kind."""
    if kind not in TEMPLATES:
        raise KeyError(f"no template for notification kind {kind!r}")
    if kind not in _compiled:
        template = TEMPLATES[kind]
        _compiled[kind] = (_environment.from_string(template.subject), _environment.from_string(template.body))
    subject, body = _compiled[kind]
    return Rendered(subject=subject.render(context).strip(), body=body.render(context).strip())
