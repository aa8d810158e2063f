"""Routing rules: editing them (validated, versioned, audited) and what they match; the copies enqueueing
an internal message writes for them (one per event and rule, idempotent)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import FrozenClock
from aftersales.core.errors import ConflictError, InvalidInputError, NotFoundError
from aftersales.notifications import rendering, routing
from aftersales.notifications import service as notifications_service
from aftersales.notifications.enums import Channel, OutboxStatus
from aftersales.notifications.models import OutboxMessage, RoutingRule
from tests import factories

ROBOT = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key="
HOOK = "https://ops.example.cn/hooks/aftersales"


@pytest.fixture
def trees(db: Session, clock: FrozenClock) -> tuple[factories.OrganisationTree, factories.OrganisationTree]:
    """Two networks under their own HQs: one in 深圳, one in 广州."""
    return (
        factories.organisation_tree(db, clock=clock, prefix="S", city="深圳"),
        factories.organisation_tree(db, clock=clock, prefix="G", city="广州"),
    )


def _rule(db: Session, clock: FrozenClock, **fields: Any) -> RoutingRule:
    values: dict[str, Any] = {"event": "sla_breached", "channel": "webhook", "target": HOOK} | fields
    return routing.create_rule(db, clock=clock, actor=SYSTEM_ACTOR, **values)


def _audits(db: Session) -> list[tuple[str, str]]:
    rows = db.execute(
        select(AuditEntry.action, AuditEntry.entity_id).where(AuditEntry.entity_type == "notification_rule")
    )
    return [(action, entity_id) for action, entity_id in rows]


def _counts(db: Session) -> tuple[int, int]:
    rules_count = db.scalar(select(func.count()).select_from(RoutingRule)) or 0
    return rules_count, len(_audits(db))


# --- editing -----------------------------------------------------------------------------------------------


def test_a_rule_is_stored_normalised_and_audited(db: Session, clock: FrozenClock, trees: Any) -> None:
    center = trees[0].service_center
    rule = _rule(db, clock, channel="wecom", target=" 693a91f6-robot-key ", organisation_id=center.id, region="深圳市")
    assert (rule.event, rule.channel, rule.target) == ("sla_breached", Channel.WECOM, ROBOT + "693a91f6-robot-key")
    assert (rule.organisation_id, rule.region, rule.is_active, rule.version) == (center.id, "深圳", True, 1)
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "notification_rule.created")).one()
    assert entry.entity_id == str(rule.id)
    assert entry.after == {
        "event": "sla_breached",
        "channel": "wecom",
        "target": ROBOT + "****-key",  # a robot's key is a credential: the trail keeps its last characters
        "organisation_id": center.id,
        "region": "深圳",
        "is_active": True,
    }


@pytest.mark.parametrize(
    ("fields", "problems"),
    [
        ({"event": "sla_party"}, {"event": routing.UNKNOWN_EVENT}),
        ({"event": "visit_invitation"}, {"event": routing.UNKNOWN_EVENT}),  # a customer's message, not staff's
        ({"channel": "sms"}, {"channel": routing.UNKNOWN_CHANNEL}),
        ({"channel": "internal"}, {"channel": routing.UNKNOWN_CHANNEL}),
        ({"target": "not a url"}, {"target": "请输入以 http:// 或 https:// 开头的完整网址"}),
        ({"channel": "email", "target": "ops@"}, {"target": "请输入有效的邮箱地址，如 ops@example.cn"}),
        ({"channel": "wecom", "target": "key"}, {"target": "请输入企业微信群机器人的 Webhook 地址，或其中的 key"}),
        ({"target": ""}, {"target": "此项必填"}),
        ({"organisation_id": 987654}, {"organisation_id": routing.UNKNOWN_ORGANISATION}),
        ({"region": "拉萨"}, {"region": routing.UNKNOWN_REGION}),
        ({"note": "长" * 201}, {"note": "内容过长"}),
        (
            {"event": "nope", "channel": "fax", "region": "拉萨"},
            {"event": routing.UNKNOWN_EVENT, "channel": routing.UNKNOWN_CHANNEL, "region": routing.UNKNOWN_REGION},
        ),
    ],
)
def test_bad_rules_are_refused_field_by_field_and_change_nothing(
    db: Session, clock: FrozenClock, trees: Any, fields: dict[str, Any], problems: dict[str, str]
) -> None:
    before = _counts(db)
    with pytest.raises(InvalidInputError) as refused:
        _rule(db, clock, **fields)
    assert refused.value.code == "notifications.invalid_rule"
    assert refused.value.fields == problems
    assert _counts(db) == before


def test_the_same_rule_twice_is_refused(db: Session, clock: FrozenClock, trees: Any) -> None:
    _rule(db, clock, region="深圳")
    with pytest.raises(InvalidInputError) as refused:
        _rule(db, clock, region="深圳市")
    assert refused.value.fields == {"target": routing.DUPLICATE}
    _rule(db, clock, region="广州")  # another scope is another rule
    assert _counts(db) == (2, 2)


def test_an_edit_needs_the_version_it_was_based_on(db: Session, clock: FrozenClock, trees: Any) -> None:
    rule = _rule(db, clock)
    edited = routing.update_rule(
        db, clock=clock, actor=SYSTEM_ACTOR, rule_id=rule.id, version=1, event="sla_warning", channel="email",
        target="ops@example.cn", organisation_id=trees[1].region.id,
    )  # fmt: skip
    assert (edited.event, edited.channel, edited.target, edited.organisation_id, edited.version) == (
        "sla_warning", Channel.EMAIL, "ops@example.cn", trees[1].region.id, 2,
    )  # fmt: skip
    with pytest.raises(ConflictError) as stale:
        routing.update_rule(
            db, clock=clock, actor=SYSTEM_ACTOR, rule_id=rule.id, version=1, event="hot_issue", channel="webhook",
            target=HOOK,
        )  # fmt: skip
    assert stale.value.code == "notifications.rule_changed"
    with pytest.raises(InvalidInputError):
        routing.update_rule(
            db, clock=clock, actor=SYSTEM_ACTOR, rule_id=rule.id, version=2, event="hot_issue", channel="webhook",
            target="nope",
        )  # fmt: skip
    db.expire_all()
    assert (rule.event, rule.version) == ("sla_warning", 2)
    assert _audits(db) == [("notification_rule.created", str(rule.id)), ("notification_rule.updated", str(rule.id))]


def test_disable_enable_and_delete(db: Session, clock: FrozenClock, trees: Any) -> None:
    rule = _rule(db, clock)
    routing.set_rule_active(db, clock=clock, actor=SYSTEM_ACTOR, rule_id=rule.id, active=False, version=1)
    assert routing.channels_for(db, event="sla_breached", organisation_id=None) == []
    routing.set_rule_active(db, clock=clock, actor=SYSTEM_ACTOR, rule_id=rule.id, active=False)  # unchanged: no-op
    routing.set_rule_active(db, clock=clock, actor=SYSTEM_ACTOR, rule_id=rule.id, active=True, version=2)
    assert routing.channels_for(db, event="sla_breached", organisation_id=None) == [
        routing.Route(rule.id, Channel.WEBHOOK, HOOK)
    ]
    with pytest.raises(ConflictError):
        routing.delete_rule(db, clock=clock, actor=SYSTEM_ACTOR, rule_id=rule.id, version=1)
    routing.delete_rule(db, clock=clock, actor=SYSTEM_ACTOR, rule_id=rule.id, version=3)
    with pytest.raises(NotFoundError):
        routing.get_rule(db, rule.id)
    assert [action for action, _ in _audits(db)] == [
        "notification_rule.created",
        "notification_rule.disabled",
        "notification_rule.enabled",
        "notification_rule.deleted",
    ]


# --- matching --------------------------------------------------------------------------------------------


def test_channels_for_follows_the_organisation_tree_and_the_city(db: Session, clock: FrozenClock, trees: Any) -> None:
    shenzhen, guangzhou = trees
    everywhere = _rule(db, clock, target="https://all.example.cn/h")
    center = _rule(db, clock, channel="wecom", target=ROBOT + "sz-center", organisation_id=shenzhen.service_center.id)
    region = _rule(db, clock, channel="email", target="south@example.cn", organisation_id=shenzhen.region.id)
    city = _rule(db, clock, target="https://gz.example.cn/h", region="广州")
    _rule(db, clock, event="sla_warning", target="https://warn.example.cn/h")  # another event

    def found(organisation_id: int | None, region_name: str | None = None) -> list[int]:
        routes = routing.channels_for(db, event="sla_breached", organisation_id=organisation_id, region=region_name)
        return [route.rule_id for route in routes]

    assert found(shenzhen.service_center.id) == [everywhere.id, center.id, region.id]
    assert found(shenzhen.provider.id) == [everywhere.id, region.id]  # under the region, not the center
    assert found(shenzhen.hq.id) == [everywhere.id]
    assert found(guangzhou.service_center.id) == [everywhere.id, city.id]
    assert found(shenzhen.service_center.id, "广州") == [everywhere.id, center.id, region.id, city.id]
    assert found(None) == [everywhere.id]


def _notices(db: Session, clock: FrozenClock, recipients: list[int | None], **fields: Any) -> int:
    context = dict(rendering.TEMPLATES["sla_breached"].sample)
    messages = [
        notifications_service.NewMessage(
            kind=fields.get("kind", "sla_breached"),
            dedupe_key=f"breach:{recipient}",
            context=context,
            recipient_user_id=recipient,
            ticket_id=fields.get("ticket_id", 41),
            organisation_id=fields.get("organisation_id"),
            payload={"ticket_id": 41},
        )
        for recipient in recipients
    ]
    return notifications_service.enqueue_many(db, clock=clock, messages=messages)


def _routed(db: Session) -> list[tuple[str, str, str | None, str]]:
    rows = db.scalars(select(OutboxMessage).where(OutboxMessage.channel != Channel.INTERNAL).order_by(OutboxMessage.id))
    return [(row.kind, str(row.channel), row.recipient_address, str(row.status)) for row in rows]


def test_one_copy_per_matching_rule_whoever_the_event_went_to(db: Session, clock: FrozenClock, trees: Any) -> None:
    shenzhen, guangzhou = trees
    wecom = _rule(db, clock, channel="wecom", target=ROBOT + "sz", organisation_id=shenzhen.service_center.id)
    _rule(db, clock, target="https://gz.example.cn/h", organisation_id=guangzhou.service_center.id)
    off = _rule(db, clock, channel="email", target="off@example.cn")
    routing.set_rule_active(db, clock=clock, actor=SYSTEM_ACTOR, rule_id=off.id, active=False)
    people = [factories.user(db, clock=clock, role=Role.MANAGER).user.id for _ in range(3)]
    written = _notices(db, clock, people, organisation_id=shenzhen.service_center.id)
    assert written == 3  # the inbox copies; the routed copy is not counted
    assert _routed(db) == [("sla_breached", "wecom", ROBOT + "sz", "pending")]
    copy = db.scalars(select(OutboxMessage).where(OutboxMessage.channel == Channel.WECOM)).one()
    assert copy.dedupe_key.startswith(f"route:{wecom.id}:")
    assert (copy.ticket_id, copy.payload, copy.recipient_user_id) == (
        41,
        {"ticket_id": 41, "routing_rule_id": wecom.id},
        None,
    )
    assert copy.subject == rendering.render("sla_breached", rendering.TEMPLATES["sla_breached"].sample).subject
    # The same event again (a retried sweep) writes nothing, nor does a new recipient of it.
    assert _notices(db, clock, people, organisation_id=shenzhen.service_center.id) == 0
    assert _notices(db, clock, [None], organisation_id=shenzhen.service_center.id) == 1
    assert len(_routed(db)) == 1


def test_without_an_organisation_the_recipients_organisations_count(
    db: Session, clock: FrozenClock, trees: Any
) -> None:
    shenzhen, guangzhou = trees
    _rule(db, clock, channel="wecom", target=ROBOT + "sz", event="bulletin", region="深圳")
    _rule(db, clock, channel="wecom", target=ROBOT + "gz", event="bulletin", organisation_id=guangzhou.region.id)
    _rule(db, clock, channel="wecom", target=ROBOT + "all", event="bulletin")
    sz = factories.user(db, clock=clock, organisation_code=shenzhen.service_center.code).user.id
    gz = factories.user(db, clock=clock, organisation_code=guangzhou.provider.code).user.id
    nowhere = factories.user(db, clock=clock).user.id
    context = dict(rendering.TEMPLATES["bulletin"].sample)
    notifications_service.enqueue_many(
        db,
        clock=clock,
        messages=[
            notifications_service.NewMessage(
                kind="bulletin", dedupe_key=f"b:{user}", context=context, recipient_user_id=user
            )
            for user in (sz, gz, nowhere)
        ],
    )
    assert sorted(address or "" for _, _, address, _ in _routed(db)) == [ROBOT + "all", ROBOT + "gz", ROBOT + "sz"]


def test_an_event_concerning_no_organisation_reaches_only_rules_without_a_scope(
    db: Session, clock: FrozenClock, trees: Any
) -> None:
    _rule(db, clock, target="https://all.example.cn/h")
    _rule(db, clock, target="https://sz.example.cn/h", region="深圳")
    _notices(db, clock, [None])
    assert _routed(db) == [("sla_breached", "webhook", "https://all.example.cn/h", "pending")]


def test_outside_messages_and_unroutable_kinds_are_never_routed(db: Session, clock: FrozenClock, trees: Any) -> None:
    _rule(db, clock, target="https://all.example.cn/h")
    factories_context = {"ticket_number": "SH1", "eta_minutes": 5}
    notifications_service.enqueue(
        db, clock=clock, kind="on_the_way", dedupe_key="sms", context=factories_context, channel=Channel.SMS,
        recipient_address="13800138000",
    )  # fmt: skip
    notifications_service.enqueue(
        db, clock=clock, kind="sla_breached", dedupe_key="hook", context=rendering.TEMPLATES["sla_breached"].sample,
        channel=Channel.WEBHOOK, recipient_address="https://elsewhere.example.cn/h",
    )  # fmt: skip
    assert [address for _, _, address, _ in _routed(db)] == ["13800138000", "https://elsewhere.example.cn/h"]
    assert (
        db.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != OutboxStatus.PENDING))
        == 0
    )
