"""Routing rules: which internal event goes to which outside channel (WeCom group robot, email, webhook)
for which organisation (and everything under it) or city, and the copies they ask for.

The inbox copy of an event is written whatever the rules say; ``routed_copies`` adds one outbox message
per matching rule, keyed by the rule and the event (``rules.event_digest``), so an event addressed to
three people is still sent once per rule, and enqueueing it again writes nothing. Flushes, never commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.models import Organisation, User
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.errors import ConflictError, InvalidInputError, NotFoundError
from aftersales.core.i18n import N_
from aftersales.notifications import rules
from aftersales.notifications.enums import Channel
from aftersales.notifications.models import RoutingRule

MAX_NOTE = 200
UNKNOWN_EVENT = N_("未知的事件类型，请从列表中选择")
UNKNOWN_CHANNEL = N_("请选择企业微信群机器人、邮件或 Webhook")
UNKNOWN_ORGANISATION = N_("机构不存在")
UNKNOWN_REGION = N_("没有位于该城市的机构，请检查城市名称")
DUPLICATE = N_("已有相同事件、渠道、地址和范围的规则")


@dataclass(frozen=True)
class Route:
    """Where one rule sends an event."""

    rule_id: int
    channel: Channel
    target: str


@dataclass(frozen=True)
class Event:
    """An internal message as written, with what routing needs: its kind and text, its ticket, whom it
    was for, and the organisation it concerns (None: the recipient's)."""

    kind: str
    subject: str
    body: str
    ticket_id: int | None
    payload: dict[str, Any] | None
    recipient_user_id: int | None
    organisation_id: int | None


@dataclass(frozen=True)
class Copy:
    """An outbox message a rule asks for: the event's text, sent to the rule's target."""

    dedupe_key: str
    kind: str
    channel: Channel
    target: str
    subject: str
    body: str
    ticket_id: int | None
    payload: dict[str, Any]


# --- Editing rules -----------------------------------------------------------------------------------------


def list_rules(session: Session) -> list[RoutingRule]:
    """Every rule, by event then age."""
    return list(session.scalars(select(RoutingRule).order_by(RoutingRule.event, RoutingRule.id)).all())


def get_rule(session: Session, rule_id: int) -> RoutingRule:
    """One rule, or ``NotFoundError``."""
    rule = session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFoundError(N_("路由规则 %(id)s 不存在"), {"id": rule_id}, code="notifications.rule_not_found")
    return rule


def _organisations(session: Session) -> dict[int, tuple[int | None, str | None]]:
    """id → (parent id, city) of every organisation: a small tree, read whole."""
    rows = session.execute(select(Organisation.id, Organisation.parent_id, Organisation.city)).all()
    return {row.id: (row.parent_id, row.city) for row in rows}


def _checked(
    session: Session,
    *,
    event: str,
    channel: str,
    target: str,
    organisation_id: int | None,
    region: str | None,
    note: str | None,
    rule_id: int | None = None,
) -> dict[str, Any]:
    """The rule's values as stored, or ``InvalidInputError`` naming every bad field."""
    problems: dict[str, str] = {}
    if event not in rules.ROUTABLE_EVENTS:
        problems["event"] = UNKNOWN_EVENT
    chosen = next((c for c in rules.ROUTED_CHANNELS if c.value == channel), None)
    stored_target = None
    if chosen is None:
        problems["channel"] = UNKNOWN_CHANNEL
    else:
        stored_target, problem = rules.normalise_target(chosen, target)
        if problem:
            problems["target"] = problem
    organisations = _organisations(session)
    if organisation_id is not None and organisation_id not in organisations:
        problems["organisation_id"] = UNKNOWN_ORGANISATION
    city = rules.region_key(region)
    if city is not None:
        if len(city) > rules.MAX_REGION:
            problems["region"] = rules.TOO_LONG
        elif all(rules.region_key(known) != city for _, known in organisations.values()):
            problems["region"] = UNKNOWN_REGION
    text = (note or "").strip() or None
    if text is not None and len(text) > MAX_NOTE:
        problems["note"] = rules.TOO_LONG
    values = {"event": event, "channel": chosen, "target": stored_target, "organisation_id": organisation_id}
    if not problems:
        # Nullable columns compare with IS NULL: a rule for "everywhere" is a duplicate of another one too.
        same = [getattr(RoutingRule, name).is_(None) if value is None else getattr(RoutingRule, name) == value
                for name, value in (values | {"region": city}).items()]  # fmt: skip
        others = select(RoutingRule.id).where(*same, RoutingRule.id != (rule_id or 0)).limit(1)
        if session.scalar(others) is not None:
            problems["target"] = DUPLICATE
    if problems:
        raise InvalidInputError(N_("路由规则有误，请按提示修改"), code="notifications.invalid_rule", fields=problems)
    return values | {"region": city, "note": text}


def _snapshot(rule: RoutingRule) -> dict[str, Any]:
    """What the audit trail keeps of a rule (a robot's key and URL parameters hidden)."""
    return {
        "event": rule.event,
        "channel": str(rule.channel),
        "target": rules.display_address(Channel(rule.channel), rule.target),
        "organisation_id": rule.organisation_id,
        "region": rule.region,
        "is_active": rule.is_active,
    }


def _audit(session: Session, *, clock: Clock, actor: Actor, action: str, rule_id: int, before: Any, after: Any) -> None:
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action=action,
        entity_type="notification_rule",
        entity_id=rule_id,
        before=before,
        after=after,
    )


def create_rule(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    event: str,
    channel: str,
    target: str,
    organisation_id: int | None = None,
    region: str | None = None,
    note: str | None = None,
) -> RoutingRule:
    """Add an active rule; bad values raise ``InvalidInputError`` (fields named) and change nothing."""
    values = _checked(
        session, event=event, channel=channel, target=target, organisation_id=organisation_id, region=region, note=note
    )
    now = clock.now()
    rule = RoutingRule(**values, is_active=True, version=1, created_at=now, updated_at=now)
    session.add(rule)
    session.flush()
    _audit(
        session,
        clock=clock,
        actor=actor,
        action="notification_rule.created",
        rule_id=rule.id,
        before=None,
        after=_snapshot(rule),
    )
    session.flush()
    return rule


def _current(session: Session, rule_id: int, version: int | None) -> RoutingRule:
    rule = get_rule(session, rule_id)
    if version is not None and rule.version != version:
        raise ConflictError(
            N_("该规则已被他人修改，请查看最新内容后再保存"),
            code="notifications.rule_changed",
            fields={"version": rule.version},
        )
    return rule


def update_rule(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    rule_id: int,
    version: int | None,
    event: str,
    channel: str,
    target: str,
    organisation_id: int | None = None,
    region: str | None = None,
    note: str | None = None,
) -> RoutingRule:
    """Change a rule as last seen at ``version`` (another edit since: ``ConflictError``)."""
    rule = _current(session, rule_id, version)
    values = _checked(
        session,
        event=event,
        channel=channel,
        target=target,
        organisation_id=organisation_id,
        region=region,
        note=note,
        rule_id=rule.id,
    )
    before = _snapshot(rule)
    for name, value in values.items():
        setattr(rule, name, value)
    rule.version += 1
    rule.updated_at = clock.now()
    session.flush()
    _audit(
        session,
        clock=clock,
        actor=actor,
        action="notification_rule.updated",
        rule_id=rule.id,
        before=before,
        after=_snapshot(rule),
    )
    session.flush()
    return rule


def set_rule_active(
    session: Session, *, clock: Clock, actor: Actor, rule_id: int, active: bool, version: int | None = None
) -> RoutingRule:
    """Disable a rule (it stops matching, its settings kept) or enable it again; a no-op when unchanged."""
    rule = _current(session, rule_id, version)
    if rule.is_active == active:
        return rule
    before = _snapshot(rule)
    rule.is_active = active
    rule.version += 1
    rule.updated_at = clock.now()
    session.flush()
    action = "notification_rule.enabled" if active else "notification_rule.disabled"
    _audit(session, clock=clock, actor=actor, action=action, rule_id=rule.id, before=before, after=_snapshot(rule))
    session.flush()
    return rule


def delete_rule(session: Session, *, clock: Clock, actor: Actor, rule_id: int, version: int | None = None) -> None:
    """Remove a rule for good (messages it already queued stay in the outbox)."""
    rule = _current(session, rule_id, version)
    before = _snapshot(rule)
    session.delete(rule)
    session.flush()
    _audit(
        session,
        clock=clock,
        actor=actor,
        action="notification_rule.deleted",
        rule_id=rule_id,
        before=before,
        after=None,
    )
    session.flush()


# --- Matching --------------------------------------------------------------------------------------------


def _chain(organisations: dict[int, tuple[int | None, str | None]], organisation_id: int) -> list[int]:
    chain: list[int] = []
    current: int | None = organisation_id
    while current is not None and current in organisations and len(chain) < 32:
        chain.append(current)
        current = organisations[current][0]
    return chain


def _active(session: Session, events: set[str]) -> dict[str, list[RoutingRule]]:
    found: dict[str, list[RoutingRule]] = defaultdict(list)
    for rule in session.scalars(
        select(RoutingRule)
        .where(RoutingRule.event.in_(sorted(events)), RoutingRule.is_active.is_(True))
        .order_by(RoutingRule.id)
    ):
        found[rule.event].append(rule)
    return found


def _matches(rule: RoutingRule, scopes: list[tuple[list[int], str | None]]) -> bool:
    return any(
        rules.scope_matches(rule_organisation_id=rule.organisation_id, rule_region=rule.region, chain=chain, city=city)
        for chain, city in scopes
    )


def channels_for(
    session: Session, *, event: str, organisation_id: int | None, region: str | None = None
) -> list[Route]:
    """Where the active rules send ``event`` of ``organisation_id`` (and its ancestors' rules) in ``region``
    (a city; by default the organisation's own). The inbox is not listed: it always gets the event."""
    candidates = _active(session, {event}).get(event, [])
    if not candidates:
        return []
    organisations = _organisations(session)
    chain = _chain(organisations, organisation_id) if organisation_id is not None else []
    city = region if region is not None else (organisations[chain[0]][1] if chain else None)
    scopes = [(chain, city)]
    return [Route(rule.id, Channel(rule.channel), rule.target) for rule in candidates if _matches(rule, scopes)]


def routed_copies(session: Session, events: Sequence[Event]) -> list[Copy]:
    """One copy per (event, matching active rule). An event concerns its organisation when it names one,
    else the organisations of the people its inbox copies went to; one with neither only matches rules
    without a scope."""
    routable = [event for event in events if event.kind in rules.ROUTABLE_EVENTS]
    if not routable:
        return []
    by_event = _active(session, {event.kind for event in routable})
    if not by_event:
        return []
    routable = [event for event in routable if event.kind in by_event]
    organisations = _organisations(session)
    people = sorted({e.recipient_user_id for e in routable if e.organisation_id is None and e.recipient_user_id})
    home: dict[int, int | None] = {}
    for start in range(0, len(people), 500):
        chunk = people[start : start + 500]
        home.update(
            (user_id, organisation_id)
            for user_id, organisation_id in session.execute(
                select(User.id, User.organisation_id).where(User.id.in_(chunk))
            )
        )
    grouped: dict[str, tuple[Event, set[int]]] = {}
    for event in routable:
        digest = rules.event_digest(event.kind, event.ticket_id, event.subject, event.body)
        concerned = grouped.setdefault(digest, (event, set()))[1]
        organisation = event.organisation_id
        if organisation is None and event.recipient_user_id is not None:
            organisation = home.get(event.recipient_user_id)
        if organisation is not None:
            concerned.add(organisation)
    copies = []
    for digest, (event, concerned) in grouped.items():
        scopes = [(_chain(organisations, o), organisations.get(o, (None, None))[1]) for o in sorted(concerned)]
        for rule in by_event[event.kind]:
            if _matches(rule, scopes or [([], None)]):
                copies.append(
                    Copy(
                        dedupe_key=f"route:{rule.id}:{digest}",
                        kind=event.kind,
                        channel=Channel(rule.channel),
                        target=rule.target,
                        subject=event.subject,
                        body=event.body,
                        ticket_id=event.ticket_id,
                        payload={**(event.payload or {}), "routing_rule_id": rule.id},
                    )
                )
    return copies
