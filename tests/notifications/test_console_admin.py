"""The notification admin screens: routing rules (admins), the outbox with retry (operators), customers'
preferences (agents). Bad input is refused field by field in Chinese and changes nothing."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import FrozenClock
from aftersales.notifications import preferences, rendering, routing
from aftersales.notifications import service as notifications_service
from aftersales.notifications.enums import Channel, OutboxStatus
from aftersales.notifications.models import NotificationPreference, OutboxMessage, RoutingRule
from tests import factories
from tests.conftest import console_login

HOOK = "https://ops.example.cn/hooks/aftersales"


def _signed_in(client: TestClient, db: Session, clock: FrozenClock, role: Role) -> str:
    made = factories.user(db, clock=clock, role=role, username=f"console_{role.value}")
    db.commit()
    return console_login(client, db, made.user.username)


def _state(db: Session) -> tuple[Any, ...]:
    """Every rule as stored, and how long the audit trail is."""
    db.expire_all()
    rules = db.execute(
        select(RoutingRule.id, RoutingRule.event, RoutingRule.channel, RoutingRule.target, RoutingRule.version,
               RoutingRule.is_active).order_by(RoutingRule.id)
    ).all()  # fmt: skip
    return tuple(rules), db.scalar(select(func.count()).select_from(AuditEntry))


def _form(csrf: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": csrf, "event": "sla_breached", "channel": "webhook", "target": HOOK} | fields


# --- routing rules ---------------------------------------------------------------------------------------


def test_an_admin_creates_a_rule_for_the_shenzhen_center(client: TestClient, db: Session, clock: FrozenClock) -> None:
    tree = factories.organisation_tree(db, clock=clock, city="深圳")
    csrf = _signed_in(client, db, clock, Role.ADMIN)
    empty = client.get("/console/notifications/rules")
    assert empty.status_code == 200
    assert 'id="no-rules"' in empty.text and "消息路由" in empty.text and "SLA 超时" in empty.text
    assert "尚未配置" in empty.text  # no SMTP host and no webhook secret in the test settings
    data = _form(csrf, organisation_id=str(tree.service_center.id), note="深圳超时推送")
    created = client.post("/console/notifications/rules", data=data, follow_redirects=False)
    assert created.status_code == 303 and created.headers["location"] == "/console/notifications/rules?done=created"
    rule = db.scalars(select(RoutingRule)).one()
    assert (rule.event, rule.channel, rule.target, rule.organisation_id) == (
        "sla_breached", Channel.WEBHOOK, HOOK, tree.service_center.id,
    )  # fmt: skip
    listed = client.get("/console/notifications/rules?done=created").text
    assert "规则已创建" in listed and f'data-rule="{rule.id}"' in listed and "深圳服务中心" in listed


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"event": "party"}, "event", "未知的事件类型，请从列表中选择"),
        ({"target": "ops.example.cn/hooks"}, "target", "请输入以 http:// 或 https:// 开头的完整网址"),
        ({"channel": "email", "target": "ops@example"}, "target", "请输入有效的邮箱地址，如 ops@example.cn"),
        ({"organisation_id": "abc"}, "organisation_id", "机构不存在"),
        ({"region": "拉萨"}, "region", "没有位于该城市的机构，请检查城市名称"),
        ({"channel": "sms"}, "channel", "请选择企业微信群机器人、邮件或 Webhook"),
    ],
)
def test_a_bad_rule_is_shown_field_by_field_and_changes_nothing(
    client: TestClient, db: Session, clock: FrozenClock, fields: dict[str, str], field: str, text: str
) -> None:
    csrf = _signed_in(client, db, clock, Role.ADMIN)
    before = _state(db)
    refused = client.post("/console/notifications/rules", data=_form(csrf, note="我写的备注", **fields))
    assert refused.status_code == 422
    assert f'<p class="field-error" id="{field}-error">{text}</p>' in refused.text
    assert f'id="{field}"' in refused.text and 'aria-invalid="true"' in refused.text
    assert 'value="我写的备注"' in refused.text  # what was typed is kept
    assert _state(db) == before


def test_editing_a_rule_keeps_what_was_typed_when_someone_else_saved_first(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    rule = routing.create_rule(
        db, clock=clock, actor=SYSTEM_ACTOR, event="sla_breached", channel="webhook", target=HOOK
    )
    csrf = _signed_in(client, db, clock, Role.ADMIN)
    page = client.get(f"/console/notifications/rules/{rule.id}").text
    assert f'value="{HOOK}"' in page and 'name="version" value="1"' in page
    saved = client.post(
        f"/console/notifications/rules/{rule.id}",
        data=_form(csrf, version="1", channel="email", target="sz@example.cn"),
        follow_redirects=False,
    )
    assert saved.status_code == 303
    before = _state(db)
    stale = client.post(
        f"/console/notifications/rules/{rule.id}", data=_form(csrf, version="1", target="https://mine.example.cn/h")
    )
    assert stale.status_code == 409
    assert "该规则已被他人修改，请查看最新内容后再保存" in stale.text
    assert 'value="https://mine.example.cn/h"' in stale.text and 'name="version" value="2"' in stale.text
    bad = client.post(f"/console/notifications/rules/{rule.id}", data=_form(csrf, version="2", channel="email"))
    assert bad.status_code == 422 and "请输入有效的邮箱地址，如 ops@example.cn" in bad.text
    assert _state(db) == before
    assert before[0][0][1:5] == ("sla_breached", Channel.EMAIL, "sz@example.cn", 2)
    assert client.get("/console/notifications/rules/987654").status_code == 404


def test_disable_then_delete_after_confirmation(client: TestClient, db: Session, clock: FrozenClock) -> None:
    rule = routing.create_rule(db, clock=clock, actor=SYSTEM_ACTOR, event="hot_issue", channel="webhook", target=HOOK)
    csrf = _signed_in(client, db, clock, Role.ADMIN)
    off = client.post(
        f"/console/notifications/rules/{rule.id}/active",
        data={"csrf_token": csrf, "active": "0", "version": "1"},
        follow_redirects=False,
    )
    assert off.headers["location"] == "/console/notifications/rules?done=disabled"
    assert _state(db)[0] == ((rule.id, "hot_issue", Channel.WEBHOOK, HOOK, 2, False),)
    confirm = client.get(f"/console/notifications/rules/{rule.id}/delete")
    assert "确定删除这条规则吗？" in confirm.text and "热点问题" in confirm.text
    before = _state(db)
    stale = client.post(f"/console/notifications/rules/{rule.id}/delete", data={"csrf_token": csrf, "version": "1"})
    assert stale.status_code == 409 and _state(db) == before
    gone = client.post(
        f"/console/notifications/rules/{rule.id}/delete",
        data={"csrf_token": csrf, "version": "2"},
        follow_redirects=False,
    )
    assert gone.headers["location"] == "/console/notifications/rules?done=deleted"
    assert _state(db)[0] == ()


def test_only_admins_edit_routing_rules(client: TestClient, db: Session, clock: FrozenClock) -> None:
    csrf = _signed_in(client, db, clock, Role.MANAGER)
    assert client.get("/console/notifications/rules").status_code == 403
    assert client.post("/console/notifications/rules", data=_form(csrf)).status_code == 403
    assert "/console/notifications/rules" not in client.get("/console/notifications/outbox").text.split("<main")[0]
    assert _state(db)[0] == ()


# --- the outbox ------------------------------------------------------------------------------------------


def _messages(db: Session, clock: FrozenClock) -> tuple[OutboxMessage, OutboxMessage]:
    sample = rendering.TEMPLATES["sla_breached"].sample
    notifications_service.enqueue(
        db, clock=clock, kind="sla_breached", dedupe_key="hook", context=sample, channel=Channel.WEBHOOK,
        recipient_address="https://ops.example.cn/h?token=secret",
    )  # fmt: skip
    notifications_service.enqueue(
        db, clock=clock, kind="on_the_way", dedupe_key="sms", context={"ticket_number": "SH1", "eta_minutes": 9},
        channel=Channel.SMS, recipient_address="13800138000",
    )  # fmt: skip
    hook = db.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == "hook")).one()
    hook.status, hook.attempts, hook.last_error = OutboxStatus.FAILED, 5, "notifications.http_rejected: HTTP 404"
    sms = db.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == "sms")).one()
    db.commit()
    return hook, sms


def test_operators_see_the_outbox_filtered_and_retry_a_dead_letter(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    hook, sms = _messages(db, clock)
    csrf = _signed_in(client, db, clock, Role.MANAGER)
    page = client.get("/console/notifications/outbox").text
    assert f'data-message="{hook.id}"' in page and f'data-message="{sms.id}"' in page
    assert "138****8000" in page and "13800138000" not in page  # phones masked
    assert "token=****" in page and "secret" not in page  # URL parameters hidden
    assert "notifications.http_rejected: HTTP 404" in page and "死信 1 条" in page
    failed = client.get("/console/notifications/outbox?status=failed").text
    assert f'data-message="{hook.id}"' in failed and f'data-message="{sms.id}"' not in failed
    texts = client.get("/console/notifications/outbox?channel=sms&date_from=2026-11-22&date_to=2026-11-22").text
    assert f'data-message="{sms.id}"' in texts and f'data-message="{hook.id}"' not in texts
    assert 'id="no-messages"' in client.get("/console/notifications/outbox?date_from=2026-11-23").text
    wrong = client.get("/console/notifications/outbox?date_from=2026-13-01&date_to=2026-11-01")
    assert wrong.status_code == 422
    assert '<p class="field-error" id="date_from-error">日期格式应为 年-月-日</p>' in wrong.text
    retried = client.post(
        "/console/notifications/outbox/retry",
        data={"csrf_token": csrf, "message_id": [str(hook.id), str(sms.id)]},
        follow_redirects=False,
    )
    assert retried.headers["location"] == "/console/notifications/outbox?status=failed&requeued=1"
    db.expire_all()
    assert (hook.status, hook.attempts, sms.status) == (OutboxStatus.PENDING, 0, OutboxStatus.PENDING)
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "outbox.requeued")).one()
    assert audit.entity_id == str(hook.id)


def test_an_inspector_reads_the_outbox_but_cannot_retry(client: TestClient, db: Session, clock: FrozenClock) -> None:
    hook, _ = _messages(db, clock)
    csrf = _signed_in(client, db, clock, Role.INSPECTOR)
    page = client.get("/console/notifications/outbox").text
    assert f'data-message="{hook.id}"' in page and "重新发送" not in page
    refused = client.post("/console/notifications/outbox/retry", data={"csrf_token": csrf, "message_id": str(hook.id)})
    assert refused.status_code == 403
    db.expire_all()
    assert hook.status == OutboxStatus.FAILED
    agent_csrf = _signed_in(client, db, clock, Role.AGENT)
    assert agent_csrf and client.get("/console/notifications/outbox").status_code == 403


# --- customers' preferences ------------------------------------------------------------------------------


def test_an_agent_looks_a_customer_up_and_sets_channels_and_quiet_hours(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    factories.customer(db, clock=clock, name="张三", phone="13800138000")
    csrf = _signed_in(client, db, clock, Role.AGENT)
    found = client.get("/console/notifications/preferences?phone=138 0013 8000").text
    assert "138****8000 · 张三" in found and 'id="no-preference"' in found and "22:00–08:00" in found
    saved = client.post(
        "/console/notifications/preferences",
        data={
            "csrf_token": csrf,
            "phone": "13800138000",
            "opted_out": "sms",
            "preferred": "email",
            "email": "zhang@example.cn",
            "quiet_start": "21:30",
            "quiet_end": "09:00",
        },
        follow_redirects=False,
    )
    assert saved.headers["location"] == "/console/notifications/preferences?phone=13800138000&saved=1"
    stored = preferences.get_preference(db, address="13800138000")
    assert stored is not None
    assert (stored.opted_out_channels, stored.preferred_channel, stored.email) == (
        ["sms"],
        Channel.EMAIL,
        "zhang@example.cn",
    )
    assert (stored.quiet_start, stored.quiet_end) == (time(21, 30), time(9, 0))
    shown = client.get("/console/notifications/preferences?phone=13800138000&saved=1").text
    assert "通知偏好已保存" in shown and 'value="21:30"' in shown and 'value="sms" checked' in shown
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "notification_preference.set")).one()
    assert audit.after == {"opted_out_channels": ["sms"], "preferred_channel": "email", "quiet_hours": "21:30-09:00"}


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"preferred": "email"}, "email", "首选邮件时需要邮箱地址"),
        ({"email": "zhang@"}, "email", "请输入有效的邮箱地址，如 ops@example.cn"),
        ({"preferred": "sms", "opted_out": "sms"}, "preferred", "首选渠道不能同时被退订"),
        ({"quiet_start": "21:00"}, "quiet_end", "请同时填写开始和结束时间"),
        ({"quiet_start": "25:00", "quiet_end": "08:00"}, "quiet_start", "请输入 时:分，如 22:00"),
        ({"opted_out": "fax"}, "opted_out", "请选择有效的选项"),
    ],
)
def test_bad_preferences_are_refused_field_by_field_and_change_nothing(
    client: TestClient, db: Session, clock: FrozenClock, fields: dict[str, str], field: str, text: str
) -> None:
    preferences.set_preference(db, clock=clock, phone="13800138000", opted_out_channels=[Channel.EMAIL])
    csrf = _signed_in(client, db, clock, Role.AGENT)
    audits = db.scalar(select(func.count()).select_from(AuditEntry))
    refused = client.post(
        "/console/notifications/preferences", data={"csrf_token": csrf, "phone": "13800138000", **fields}
    )
    assert refused.status_code == 422
    assert f'<p class="field-error" id="{field}-error">{text}</p>' in refused.text
    db.expire_all()
    stored = db.scalars(select(NotificationPreference)).one()
    assert (stored.opted_out_channels, stored.preferred_channel, stored.quiet_start) == (["email"], None, None)
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == audits


def test_a_bad_phone_and_a_reader_who_may_not_write(client: TestClient, db: Session, clock: FrozenClock) -> None:
    csrf = _signed_in(client, db, clock, Role.INSPECTOR)
    wrong = client.get("/console/notifications/preferences?phone=12345")
    assert wrong.status_code == 422 and 'id="lookup-error"' in wrong.text and 'value="12345"' in wrong.text
    page = client.get("/console/notifications/preferences?phone=13800138000").text
    assert "您的角色只能查看通知偏好。" in page and "保存偏好" not in page
    refused = client.post("/console/notifications/preferences", data={"csrf_token": csrf, "phone": "13800138000"})
    assert refused.status_code == 403
    assert db.scalar(select(func.count()).select_from(NotificationPreference)) == 0


def test_the_pages_in_english_have_no_chinese_left(client: TestClient, db: Session, clock: FrozenClock) -> None:
    import re

    routing.create_rule(db, clock=clock, actor=SYSTEM_ACTOR, event="sla_breached", channel="webhook", target=HOOK)
    _messages(db, clock)
    csrf = _signed_in(client, db, clock, Role.ADMIN)
    client.post("/console/language", data={"csrf_token": csrf, "locale": "en"})
    for path in (
        "/console/notifications/rules",
        "/console/notifications/outbox",
        "/console/notifications/preferences?phone=13800138000",
    ):
        page = client.get(path).text
        main = page[page.index("<main") :] if "<main" in page else page
        visible = re.sub(r"<[^>]+>", " ", main)
        # Message subjects are stored text (rendered in Chinese when queued), not the page's own words.
        visible = re.sub(r"【SLA 超时】[^\n<]*|工单 SH\S*[^\n<]*|[\u4e00-\u9fff]+服务中心", "", visible)
        assert re.findall(r"[\u4e00-\u9fff]+", visible) == [], path
