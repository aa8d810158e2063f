"""Chinese templates: every kind renders its sample; missing fields are errors, not "None"."""

from __future__ import annotations

import pytest
from jinja2 import UndefinedError
from sqlalchemy.orm import Session

from aftersales.core.clock import FrozenClock
from aftersales.notifications import rendering
from aftersales.notifications import service as notifications_service
from aftersales.notifications.enums import Channel, OutboxStatus

EXPECTED_KINDS = {
    "visit_invitation",
    "appointment",
    "on_the_way",
    "confirmation_code",
    "sla_warning",
    "sla_breached",
    "sla_escalation",
    "emergency_dispatch",
    "dispatch_escalation",
    "bulletin_published",
    "bulletin_fixed",
    "promise_due",
}


def test_every_event_kind_has_a_template() -> None:
    assert set(rendering.TEMPLATES) == EXPECTED_KINDS


@pytest.mark.parametrize("kind", sorted(EXPECTED_KINDS))
def test_each_template_renders_its_sample(kind: str) -> None:
    template = rendering.TEMPLATES[kind]
    rendered = rendering.render(kind, template.sample)
    assert rendered.subject and rendered.body
    assert "{{" not in rendered.subject + rendered.body
    assert "None" not in rendered.subject + rendered.body
    for value in template.sample.values():
        if value:  # optional parts are left out when empty
            assert str(value) in rendered.subject + rendered.body


def test_visit_invitation_text() -> None:
    rendered = rendering.render("visit_invitation", rendering.TEMPLATES["visit_invitation"].sample)
    assert rendered.subject == "工单 SH20261122-000123 服务评价邀请"
    assert rendered.body == (
        "张女士您好，您的工单 SH20261122-000123 已处理完毕。请花 1 分钟评价本次服务："
        "https://example.cn/s/abc（7 天内有效）。客服也可能致电回访，感谢支持。"
    )


def test_optional_parts_are_left_out() -> None:
    sample = dict(rendering.TEMPLATES["on_the_way"].sample, technician_phone="")
    assert rendering.render("on_the_way", sample).body == "张女士您好，工程师李师傅已出发，预计 14:30 到达。"


def test_a_missing_field_is_an_error() -> None:
    with pytest.raises(UndefinedError, match="survey_url"):
        rendering.render("visit_invitation", {"customer_name": "张女士", "ticket_number": "X", "valid_days": 7})


def test_an_unknown_kind_is_an_error() -> None:
    with pytest.raises(KeyError, match="no_such_kind"):
        rendering.render("no_such_kind", {})


def test_enqueue_event_stores_the_rendered_text(db: Session, clock: FrozenClock) -> None:
    sample = dict(rendering.TEMPLATES["appointment"].sample)
    assert notifications_service.enqueue_event(
        db,
        clock=clock,
        kind="appointment",
        dedupe_key="appointment:1",
        context=sample,
        channel=Channel.SMS,
        recipient_address="13800138000",
    )
    [message] = notifications_service.list_outbox(db, kind="appointment")
    assert message.subject == "工单 SH20261122-000123 上门时间已预约"
    assert message.body == (
        "张女士您好，工程师李师傅将于 11月23日 14:00–16:00 上门服务（工单 SH20261122-000123）。如需改约请致电 400-800-1234。"
    )
    assert (message.status, message.channel, message.attempts) == (OutboxStatus.PENDING, Channel.SMS, 0)


def test_enqueue_event_with_missing_field_writes_nothing(db: Session, clock: FrozenClock) -> None:
    with pytest.raises(UndefinedError):
        notifications_service.enqueue_event(
            db, clock=clock, kind="appointment", dedupe_key="appointment:2", context={"customer_name": "张女士"}
        )
    assert notifications_service.list_outbox(db, kind="appointment") == []
