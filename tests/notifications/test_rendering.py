"""Chinese templates: every kind renders its sample; enqueue renders them and refuses an unknown kind or
a context without a field (nothing written)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from aftersales.core.clock import FrozenClock
from aftersales.notifications import rendering
from aftersales.notifications import service as notifications_service
from aftersales.notifications.enums import Channel, OutboxStatus
from aftersales.notifications.service import NewMessage

EXPECTED_KINDS = {
    "visit_invitation",
    "appointment",
    "on_the_way",
    "confirmation_code",
    "job_declined",
    "emergency_dispatch",
    "dispatch_escalation",
    "sla_warning",
    "sla_breached",
    "sla_escalation",
    "promise_assigned",
    "promise_alert",
    "follow_up_complaint",
    "quality_rectification",
    "bulletin",
    "bulletin_fixed",
    "hot_issue",
    "assistant_handoff",
}
CHOOSERS = {"action"}  # fields that pick the wording instead of being shown


def test_every_event_kind_has_a_template() -> None:
    assert set(rendering.TEMPLATES) == EXPECTED_KINDS


@pytest.mark.parametrize("kind", sorted(EXPECTED_KINDS))
def test_each_template_renders_its_sample(kind: str) -> None:
    template = rendering.TEMPLATES[kind]
    rendered = rendering.render(kind, template.sample)
    text = rendered.subject + rendered.body
    assert rendered.subject and rendered.body
    assert "{{" not in text and "{%" not in text and "None" not in text
    for name, value in template.sample.items():
        for shown in value if isinstance(value, list) else [value]:
            if isinstance(shown, str) and shown and name not in CHOOSERS:  # empty optional parts are left out
                assert shown in text


def test_follow_up_complaint_text() -> None:
    rendered = rendering.render("follow_up_complaint", rendering.TEMPLATES["follow_up_complaint"].sample)
    assert rendered.subject == "【回访跟进】工单 SH20261122-000123 客户不满，已开跟进工单 SH20261123-000045"
    assert rendered.body == (
        "工单 SH20261122-000123 的回访：服务态度 评分不高于 2 分；评价中有明显不满。"
        "已开跟进投诉工单 SH20261123-000045，请尽快联系客户。\n客户评价：非常生气，师傅迟到两个小时"
    )
    calm = {**rendering.TEMPLATES["follow_up_complaint"].sample, "is_angry": False, "comment": ""}
    rendered = rendering.render("follow_up_complaint", calm)
    assert rendered.subject == "【回访跟进】工单 SH20261122-000123 评分偏低，已开跟进工单 SH20261123-000045"
    assert rendered.body.endswith("请尽快联系客户。")


def test_visit_invitation_text() -> None:
    rendered = rendering.render("visit_invitation", rendering.TEMPLATES["visit_invitation"].sample)
    assert rendered.subject == "工单 SH20261122-000123 服务评价邀请"
    assert rendered.body == (
        "您好，您的工单 SH20261122-000123 已处理完毕。请花 1 分钟评价本次服务：https://example.cn/survey/abc"
        "（7 天内有效）。客服也可能致电回访，感谢支持。"
    )


def test_optional_parts_are_left_out() -> None:
    sample = dict(rendering.TEMPLATES["on_the_way"].sample, eta_minutes=None)
    assert rendering.render("on_the_way", sample).body == (
        "您好，为您服务的师傅已出发，请保持电话畅通。工单号 SH20261122-000123。"
    )
    rescheduled = dict(rendering.TEMPLATES["appointment"].sample, rescheduled=True)
    assert rendering.render("appointment", rescheduled) == rendering.Rendered(
        subject="工单 SH20261122-000123 上门时间已变更",
        body="您好，您的工单 SH20261122-000123 上门时间已改为 11月23日 14:00–16:00，师傅出发前会与您联系。",
    )


def test_the_bulletin_notice_lists_only_what_the_bulletin_has() -> None:
    sample = dict(
        rendering.TEMPLATES["bulletin"].sample,
        action="withdrawn",
        products="",
        versions="",
        agent_script="",
        expected_fix_at="",
    )
    assert rendering.render("bulletin", sample) == rendering.Rendered(
        subject="【已知问题已撤回】KB-20261122-001 指纹识别率下降",
        body="已知问题 KB-20261122-001：指纹识别率下降\n影响产品：全部\n原因：固件 2.3.1 传感器校准参数错误\n"
        "临时解决办法：重新录入指纹",
    )


def test_a_missing_field_is_an_error() -> None:
    with pytest.raises(rendering.MessageTemplateError, match="survey_url"):
        rendering.render("visit_invitation", {"ticket_number": "X", "valid_days": 7})


def test_an_unknown_kind_is_an_error() -> None:
    with pytest.raises(rendering.MessageTemplateError, match="no_such_kind"):
        rendering.render("no_such_kind", {})


def test_enqueue_stores_the_rendered_text(db: Session, clock: FrozenClock) -> None:
    assert notifications_service.enqueue(
        db,
        clock=clock,
        kind="appointment",
        dedupe_key="appointment:1",
        context=rendering.TEMPLATES["appointment"].sample,
        channel=Channel.SMS,
        recipient_address="13800138000",
    )
    [message] = notifications_service.list_outbox(db, kind="appointment")
    assert message.subject == "工单 SH20261122-000123 上门时间已确认"
    assert message.body == "您好，您的工单 SH20261122-000123 上门时间为 11月23日 14:00–16:00，师傅出发前会与您联系。"
    assert (message.status, message.channel, message.attempts) == (OutboxStatus.PENDING, Channel.SMS, 0)


def test_enqueue_with_a_missing_field_writes_nothing(db: Session, clock: FrozenClock) -> None:
    with pytest.raises(rendering.MessageTemplateError, match="window, rescheduled"):
        notifications_service.enqueue(
            db, clock=clock, kind="appointment", dedupe_key="appointment:2", context={"ticket_number": "X"}
        )
    assert notifications_service.list_outbox(db) == []


def test_enqueue_of_an_unknown_kind_writes_nothing(db: Session, clock: FrozenClock) -> None:
    with pytest.raises(rendering.MessageTemplateError, match="free_text"):
        notifications_service.enqueue(db, clock=clock, kind="free_text", dedupe_key="free:1", context={})
    assert notifications_service.list_outbox(db) == []


def test_a_batch_with_one_bad_message_writes_none_of_them(db: Session, clock: FrozenClock) -> None:
    good = NewMessage(kind="sla_breached", dedupe_key="b:1", context=rendering.TEMPLATES["sla_breached"].sample)
    bad = NewMessage(kind="sla_breached", dedupe_key="b:2", context={"ticket_number": "X", "targets": "解决"})
    with pytest.raises(rendering.MessageTemplateError, match="due_at"):
        notifications_service.enqueue_many(db, clock=clock, messages=[good, bad])
    assert notifications_service.list_outbox(db) == []


def test_a_long_subject_is_cut_to_the_column(db: Session, clock: FrozenClock) -> None:
    sample = dict(rendering.TEMPLATES["bulletin"].sample, title="很长的标题" * 60)
    assert notifications_service.enqueue(db, clock=clock, kind="bulletin", dedupe_key="bulletin:1", context=sample)
    [message] = notifications_service.list_outbox(db, kind="bulletin")
    assert len(message.subject) == 255
    assert message.subject.startswith("【已知问题新发布】KB-20261122-001 很长的标题")
