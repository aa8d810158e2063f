"""Every state change is in the audit trail (issue 12, item 6): the app's routes are walked, and each
mutating one (POST, PUT, PATCH, DELETE; API and console) must have a scenario in ``SCENARIOS`` or a
reason in ``CHANGES_NO_STATE``. A scenario builds its data with the factories, makes the request as a
user allowed to make it and names the audit rows that request must append — exactly those, nothing
more. A route that changes no state must leave the audit log, and every table, as it was.

A new route without an entry fails ``test_every_mutating_route_is_accounted_for``; so does an entry
whose route is gone."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry, ConsoleSession, Organisation, User
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.app import create_app
from aftersales.config import Settings
from aftersales.core.clock import FrozenClock
from aftersales.db_models import Base
from aftersales.dispatch import fieldwork
from aftersales.dispatch.fieldwork.inputs import Upload
from aftersales.dispatch.fieldwork.models import VisitFlag
from aftersales.dispatch.planning.models import DayPlan
from aftersales.feedback import promises
from aftersales.feedback import rules as feedback_rules
from aftersales.feedback.models import ReturnVisit
from aftersales.knowledge import service as knowledge_service
from aftersales.knowledge import synonyms as knowledge_synonyms
from aftersales.knowledge.bulletins import service as bulletins_service
from aftersales.knowledge.bulletins.schemas import BulletinCreate
from aftersales.knowledge.models import Synonym
from aftersales.knowledge.schemas import ArticleCreate
from aftersales.notifications import routing
from aftersales.notifications import service as notifications_service
from aftersales.notifications.enums import Channel, OutboxStatus
from aftersales.notifications.models import NotificationPreference, OutboxMessage, RoutingRule
from aftersales.notifications.rendering import TEMPLATES
from aftersales.quality import compensation
from aftersales.quality import inspection as quality_inspection
from aftersales.quality.models import Compensation, Inspection, Rectification, Sample
from aftersales.sla import service as sla_service
from aftersales.tickets.enums import Priority
from aftersales.tickets.models import Ticket
from aftersales.tickets.saved_filters import service as saved_filters_service
from aftersales.tickets.saved_filters.models import SavedFilter
from aftersales.triage import service as triage_service
from aftersales.triage.models import IntakeRule
from tests import factories
from tests.conftest import console_login, local, ticket_body
from tests.factories import triage as triage_factories
from tests.images import png
from tests.quality.factories import insert_tickets, make_providers

Route = tuple[str, str]  # (method, path template)
Row = tuple[str, str, str, str]  # (action, entity_type, entity_id, actor_name)

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PHOTO = {"filename": "site.png", "content_base64": base64.b64encode(png()).decode()}
SELF_CHECK_REPAIR = {
    "shoe_covers": True,
    "self_introduction": True,
    "diagnosis_explained": True,
    "site_protected": True,
    "usage_explained": True,
    "site_cleared": True,
    "lock_lubricated": True,
    "unlock_tested_three_times": True,
}
INSPECTION_GOOD = {"service_standard": 9, "repair_quality": 9, "cleanliness": 8, "communication": 9, "timeliness": 8}


def mutating_routes(app: FastAPI) -> set[Route]:
    """(method, path) of every mutating APIRoute, included routers walked recursively."""

    def walk(routes: list[Any]) -> Iterator[APIRoute]:
        for route in routes:
            original = getattr(route, "original_router", None)  # FastAPI's _IncludedRouter wrapper
            if original is not None:
                yield from walk(original.routes)
            elif isinstance(route, APIRoute):
                yield route

    return {(method, route.path) for route in walk(app.routes) for method in (route.methods or set()) & MUTATING}


# --- the world a scenario acts in ------------------------------------------------------------------------


@dataclass
class World:
    """The test's client, session and clock; users made on demand; the one request a scenario makes."""

    client: TestClient
    db: Session
    clock: FrozenClock
    users: dict[str, factories.MadeUser] = field(default_factory=dict)
    mark: int | None = None  # the last audit id before the request
    center_code: str | None = None  # the field network's service center, once made
    on_request: Callable[[], None] | None = None  # runs after the set-up is committed, before the request

    def user(self, username: str, role: Role, **fields: Any) -> factories.MadeUser:
        if username not in self.users:
            self.users[username] = factories.user(
                self.db, clock=self.clock, role=role, username=username, with_token=True, **fields
            )
        return self.users[username]

    @property
    def admin(self) -> factories.MadeUser:
        return self.user("walk_admin", Role.ADMIN)

    def technician(self, username: str = "walk_tech") -> factories.MadeUser:
        """A technician of the Shenzhen service center, whose service point covers the customer's address."""
        if username not in self.users:
            if self.center_code is None:
                tree = factories.organisation_tree(self.db, clock=self.clock, prefix="W", city="深圳")
                factories.service_point(self.db, organisation_id=tree.service_center.id)
                self.center_code = tree.service_center.code
            self.users[username] = factories.technician(
                self.db, clock=self.clock, username=username, organisation_code=self.center_code, with_token=True
            )
        return self.users[username]

    def sign_in(self, made: factories.MadeUser) -> str:
        """A console session for ``made`` (its login is audited before the mark); returns the CSRF token."""
        self.db.commit()
        return console_login(self.client, self.db, made.user.username)

    def _before(self) -> None:
        self.db.commit()
        assert self.mark is None, "a scenario makes one request"
        self.mark = last_audit_id(self.db)
        if self.on_request is not None:
            self.on_request()

    def api(self, method: str, path: str, made: factories.MadeUser, json: Any = None) -> httpx.Response:
        self._before()
        return self.client.request(method, path, json=json, headers=made.headers)

    def form(self, path: str, data: dict[str, Any], **kwargs: Any) -> httpx.Response:
        self._before()
        return self.client.post(path, data=data, follow_redirects=False, **kwargs)


def last_audit_id(db: Session) -> int:
    return db.scalar(select(func.max(AuditEntry.id))) or 0


@dataclass(frozen=True)
class Expect:
    """The request's answer and the audit rows it must have appended."""

    response: httpx.Response
    status: int
    rows: list[Row]


def row(action: str, entity_type: str, entity_id: object, actor: factories.MadeUser | str) -> Row:
    name = actor if isinstance(actor, str) else actor.user.username
    return (action, entity_type, str(entity_id), name)


Scenario = Callable[[World], Expect]


# --- shared set-up ---------------------------------------------------------------------------------------


def _ticket(w: World, **fields: Any) -> Ticket:
    return factories.ticket(w.db, clock=w.clock, **fields)


def _job(w: World, until: str = "assigned") -> tuple[Ticket, factories.MadeUser]:
    """A repair assigned to the technician, taken along the job flow (services) up to ``until``."""
    tech = w.technician()
    ticket = _ticket(w, assignee_username=tech.user.username)
    actor = tech.actor
    stages = ["assigned", "accepted", "on_site", "resolved"]
    reached = stages.index(until)
    if reached >= 1:
        fieldwork.accept(w.db, clock=w.clock, actor=actor, ticket_id=ticket.id)
    if reached >= 2:
        fieldwork.check_in(w.db, clock=w.clock, actor=actor, ticket_id=ticket.id, longitude=113.93, latitude=22.53)
    if reached >= 3:
        fieldwork.result(
            w.db, clock=w.clock, actor=actor, ticket_id=ticket.id, note="已更换锁体", photos=[Upload("a.png", png())]
        )
    return ticket, tech


def _article(w: World, **fields: Any) -> int:
    data = ArticleCreate(title="指纹锁识别失败怎么办", body="请清洁指纹头后重新录入指纹。", **fields)
    return knowledge_service.create_article(w.db, clock=w.clock, actor=SYSTEM_ACTOR, data=data).id


def _bulletin(w: World, *, published: bool) -> int:
    data = BulletinCreate(
        title="YL-S7 指纹模块批次故障",
        cause="一批指纹模块固件缺陷",
        workaround="使用密码开锁",
        product_models=["YL-S7"],
        keywords=["指纹"],
        status="published" if published else "draft",  # type: ignore[arg-type]
    )
    return bulletins_service.create_bulletin(w.db, clock=w.clock, actor=SYSTEM_ACTOR, data=data).id


def _visit(w: World) -> Any:
    return factories.return_visit(w.db, clock=w.clock)


def _sample(w: World) -> quality_inspection.DrawnSample:
    """A regional sample over a provider's closed repairs, drawn by the admin (services)."""
    [provider] = make_providers(w.db, w.clock, 1)
    tech = w.technician("walk_qtech")
    insert_tickets(
        w.db, w.clock, organisation_id=provider, count=12, closed_at=local(2026, 11, 8, 15), assignee_id=tech.user.id
    )
    return quality_inspection.draw_sample(
        w.db,
        clock=w.clock,
        actor=w.admin.actor,
        level="regional",
        period_start=local(2026, 11, 1),
        period_end=local(2026, 11, 16),
        seed=9,
    )


def _ticket_version(w: World, ticket_id: int) -> int:
    w.db.expire_all()
    return int(w.db.scalar(select(Ticket.version).where(Ticket.id == ticket_id)) or 0)


# --- API scenarios ---------------------------------------------------------------------------------------


def create_ticket(w: World) -> Expect:
    reply = w.api("POST", "/api/v1/tickets", w.admin, json=ticket_body(kind="repair", priority="routine"))
    return Expect(reply, 201, [row("ticket.created", "ticket", reply.json()["id"], w.admin)])


def patch_ticket(w: World) -> Expect:
    ticket = _ticket(w)
    body = {"version": ticket.version, "priority": "urgent"}
    reply = w.api("PATCH", f"/api/v1/tickets/{ticket.id}", w.admin, json=body)
    return Expect(reply, 200, [row("ticket.updated", "ticket", ticket.id, w.admin)])


def ticket_event(w: World) -> Expect:
    ticket = _ticket(w)
    reply = w.api("POST", f"/api/v1/tickets/{ticket.id}/events", w.admin, json={"type": "contact", "note": "已联系"})
    return Expect(reply, 200, [row("ticket.contact", "ticket", ticket.id, w.admin)])


def ticket_comment(w: World) -> Expect:
    ticket = _ticket(w)
    reply = w.api("POST", f"/api/v1/tickets/{ticket.id}/comments", w.admin, json={"body": "客户下午在家"})
    return Expect(reply, 201, [row("ticket.comment", "ticket", ticket.id, w.admin)])


def assist(w: World) -> Expect:
    body = {
        "session_id": "walk-1",
        "message": "门锁坏了打不开，气死我了，马上派人来",
        "customer": {"phone": "13800138000"},
    }
    reply = w.api("POST", "/api/v1/assist", w.admin, json=body)
    return Expect(reply, 200, [row("ticket.created", "ticket", reply.json()["ticket_id"], w.admin)])


def add_triage_rule(w: World) -> Expect:
    body = {"name": "walk-rule", "keywords": ["漏水"], "priority": "urgent"}
    reply = w.api("POST", "/api/v1/triage/rules", w.admin, json=body)
    return Expect(reply, 201, [row("triage_rule.added", "triage_rule", reply.json()["id"], w.admin)])


def delete_triage_rule(w: World) -> Expect:
    triage_service.add_rule(w.db, name="walk-rule", keywords=["漏水"], kind=None, priority="urgent")
    reply = w.api("DELETE", "/api/v1/triage/rules/walk-rule", w.admin)
    return Expect(reply, 204, [row("triage_rule.deleted", "triage_rule", "walk-rule", w.admin)])


def create_article(w: World) -> Expect:
    body = {"title": "密码锁没电怎么办", "body": "用应急电源从底部供电后开锁。", "questions": ["锁没电了"]}
    reply = w.api("POST", "/api/v1/knowledge/articles", w.admin, json=body)
    return Expect(reply, 201, [row("knowledge.created", "article", reply.json()["id"], w.admin)])


def update_article(w: World) -> Expect:
    article_id = _article(w)
    body = {"version": 1, "body": "先清洁指纹头，再重新录入指纹。"}
    reply = w.api("PATCH", f"/api/v1/knowledge/articles/{article_id}", w.admin, json=body)
    return Expect(reply, 200, [row("knowledge.updated", "article", article_id, w.admin)])


def archive_article(w: World) -> Expect:
    article_id = _article(w)
    reply = w.api("DELETE", f"/api/v1/knowledge/articles/{article_id}", w.admin)
    return Expect(reply, 204, [row("knowledge.updated", "article", article_id, w.admin)])


def put_synonyms(w: World) -> Expect:
    reply = w.api("PUT", "/api/v1/knowledge/synonyms", w.admin, json={"term": "指纹", "synonyms": ["手指"]})
    synonym_id = w.db.scalar(select(Synonym.id).where(Synonym.term == "指纹"))
    return Expect(reply, 204, [row("knowledge.synonyms_set", "synonym", synonym_id, w.admin)])


def record_solution(w: World) -> Expect:
    article_id = _article(w, status="published")
    ticket = _ticket(w)
    reply = w.api("POST", f"/api/v1/tickets/{ticket.id}/solutions", w.admin, json={"article_id": article_id})
    return Expect(reply, 201, [row("knowledge.solved", "ticket", ticket.id, w.admin)])


def create_bulletin(w: World) -> Expect:
    body = {"title": "YL-S7 电池盖松动", "cause": "卡扣公差", "workaround": "用胶带固定"}
    reply = w.api("POST", "/api/v1/bulletins", w.admin, json=body)
    return Expect(reply, 201, [row("bulletin.created", "bulletin", reply.json()["id"], w.admin)])


def update_bulletin(w: World) -> Expect:
    bulletin_id = _bulletin(w, published=False)
    reply = w.api("PATCH", f"/api/v1/bulletins/{bulletin_id}", w.admin, json={"version": 1, "cause": "固件缺陷"})
    return Expect(reply, 200, [row("bulletin.changed", "bulletin", bulletin_id, w.admin)])


def publish_bulletin(w: World) -> Expect:
    bulletin_id = _bulletin(w, published=False)
    reply = w.api("POST", f"/api/v1/bulletins/{bulletin_id}/publish", w.admin)
    return Expect(reply, 200, [row("bulletin.published", "bulletin", bulletin_id, w.admin)])


def fix_bulletin(w: World) -> Expect:
    bulletin_id = _bulletin(w, published=True)
    reply = w.api("POST", f"/api/v1/bulletins/{bulletin_id}/fix", w.admin, json={"note": "请升级固件"})
    return Expect(reply, 200, [row("bulletin.fixed", "bulletin", bulletin_id, w.admin)])


def withdraw_bulletin(w: World) -> Expect:
    bulletin_id = _bulletin(w, published=True)
    reply = w.api("POST", f"/api/v1/bulletins/{bulletin_id}/withdraw", w.admin)
    return Expect(reply, 200, [row("bulletin.withdrawn", "bulletin", bulletin_id, w.admin)])


def link_bulletin(w: World) -> Expect:
    ticket = _ticket(w, description="门锁屏幕不亮")  # not matched at intake: linked by hand
    bulletin_id = _bulletin(w, published=True)
    reply = w.api("POST", f"/api/v1/bulletins/{bulletin_id}/tickets/{ticket.id}", w.admin)
    return Expect(reply, 201, [row("bulletin.linked", "ticket", ticket.id, w.admin)])


def put_preference(w: World) -> Expect:
    body = {"opted_out_channels": ["sms"]}
    reply = w.api("PUT", "/api/v1/notifications/preferences/13800138000", w.admin, json=body)
    preference_id = w.db.scalar(select(NotificationPreference.id))
    return Expect(reply, 200, [row("notification_preference.set", "notification_preference", preference_id, w.admin)])


def retry_outbox(w: World) -> Expect:
    ticket = _ticket(w, notify=False)
    notifications_service.enqueue(
        w.db, clock=w.clock, kind="on_the_way", dedupe_key="walk", context={"ticket_number": ticket.number, "eta_minutes": 30},
        recipient_user_id=w.admin.user.id, ticket_id=ticket.id,
    )  # fmt: skip
    message = w.db.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == "walk")).one()
    message.status = OutboxStatus.FAILED  # a dead letter
    reply = w.api("POST", "/api/v1/notifications/outbox/retry", w.admin, json={"ids": [message.id]})
    return Expect(reply, 200, [row("outbox.requeued", "outbox_message", message.id, w.admin)])


def _inbox_message(w: World, recipient: factories.MadeUser) -> OutboxMessage:
    notifications_service.enqueue(
        w.db, clock=w.clock, kind="hot_issue", dedupe_key="walk-inbox", recipient_user_id=recipient.user.id,
        context=TEMPLATES["hot_issue"].sample,
    )  # fmt: skip
    return w.db.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == "walk-inbox")).one()


def read_inbox(w: World) -> Expect:
    message = _inbox_message(w, w.admin)
    reply = w.api("POST", "/api/v1/notifications/inbox/read", w.admin, json={"ids": [message.id]})
    return Expect(reply, 200, [row("inbox.read", "user", w.admin.user.id, w.admin)])


def console_read_inbox(w: World) -> Expect:
    _inbox_message(w, w.admin)
    csrf = w.sign_in(w.admin)
    reply = w.form("/console/inbox/read", {"csrf_token": csrf, "everything": "true"})
    return Expect(reply, 303, [row("inbox.read", "user", w.admin.user.id, w.admin)])


def _routing_rule(w: World) -> int:
    return routing.create_rule(
        w.db,
        clock=w.clock,
        actor=SYSTEM_ACTOR,
        event="sla_breached",
        channel="webhook",
        target="https://ops.example.cn/h",
    ).id


def console_create_routing_rule(w: World) -> Expect:
    csrf = w.sign_in(w.admin)
    data = {"csrf_token": csrf, "event": "sla_breached", "channel": "email", "target": "ops@example.cn"}
    reply = w.form("/console/notifications/rules", data)
    rule_id = w.db.scalar(select(func.max(RoutingRule.id)))
    return Expect(reply, 303, [row("notification_rule.created", "notification_rule", rule_id, w.admin)])


def console_update_routing_rule(w: World) -> Expect:
    rule_id = _routing_rule(w)
    csrf = w.sign_in(w.admin)
    data = {"csrf_token": csrf, "version": "1", "event": "sla_warning", "channel": "email", "target": "ops@example.cn"}
    reply = w.form(f"/console/notifications/rules/{rule_id}", data)
    return Expect(reply, 303, [row("notification_rule.updated", "notification_rule", rule_id, w.admin)])


def console_disable_routing_rule(w: World) -> Expect:
    rule_id = _routing_rule(w)
    csrf = w.sign_in(w.admin)
    reply = w.form(
        f"/console/notifications/rules/{rule_id}/active", {"csrf_token": csrf, "version": "1", "active": "0"}
    )
    return Expect(reply, 303, [row("notification_rule.disabled", "notification_rule", rule_id, w.admin)])


def console_delete_routing_rule(w: World) -> Expect:
    rule_id = _routing_rule(w)
    csrf = w.sign_in(w.admin)
    reply = w.form(f"/console/notifications/rules/{rule_id}/delete", {"csrf_token": csrf, "version": "1"})
    return Expect(reply, 303, [row("notification_rule.deleted", "notification_rule", rule_id, w.admin)])


def console_retry_outbox(w: World) -> Expect:
    notifications_service.enqueue(
        w.db, clock=w.clock, kind="hot_issue", dedupe_key="walk-dead", context=TEMPLATES["hot_issue"].sample,
        channel=Channel.WEBHOOK, recipient_address="https://ops.example.cn/h",
    )  # fmt: skip
    message = w.db.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == "walk-dead")).one()
    message.status = OutboxStatus.FAILED  # a dead letter
    csrf = w.sign_in(w.admin)
    reply = w.form("/console/notifications/outbox/retry", {"csrf_token": csrf, "message_id": str(message.id)})
    return Expect(reply, 303, [row("outbox.requeued", "outbox_message", message.id, w.admin)])


def console_set_preference(w: World) -> Expect:
    csrf = w.sign_in(w.admin)
    data = {
        "csrf_token": csrf,
        "phone": "13800138000",
        "opted_out": "sms",
        "quiet_start": "21:00",
        "quiet_end": "09:00",
    }
    reply = w.form("/console/notifications/preferences", data)
    preference_id = w.db.scalar(select(NotificationPreference.id))
    return Expect(reply, 303, [row("notification_preference.set", "notification_preference", preference_id, w.admin)])


def put_technician(w: World) -> Expect:
    tech = w.user("walk_newtech", Role.TECHNICIAN)
    body = {"longitude": 113.93, "latitude": 22.53, "skills": ["lock:repair"]}
    reply = w.api("PUT", "/api/v1/dispatch/technicians/walk_newtech", w.admin, json=body)
    return Expect(reply, 204, [row("technician.profile_set", "user", tech.user.id, w.admin)])


def put_service_point(w: World) -> Expect:
    tree = factories.organisation_tree(w.db, clock=w.clock, prefix="P")
    body = {"kind": "service_center", "longitude": 113.95, "latitude": 22.54, "radius_km": 30}
    reply = w.api("PUT", f"/api/v1/dispatch/service-points/{tree.service_center.code}", w.admin, json=body)
    return Expect(reply, 204, [row("service_point.set", "organisation", tree.service_center.id, w.admin)])


def dispatch_ticket(w: World) -> Expect:
    w.technician()
    ticket = _ticket(w)
    reply = w.api("POST", f"/api/v1/tickets/{ticket.id}/dispatch", w.admin)
    assert reply.json()["assigned_to"] == "walk_tech", reply.text
    return Expect(reply, 200, [row("ticket.updated", "ticket", ticket.id, w.admin)])


def book_appointment(w: World) -> Expect:
    ticket = _ticket(w)
    body = {"start": "2026-11-23T09:00:00+08:00", "end": "2026-11-23T11:00:00+08:00"}
    reply = w.api("POST", f"/api/v1/tickets/{ticket.id}/appointments", w.admin, json=body)
    return Expect(reply, 201, [row("appointment.booked", "ticket", ticket.id, w.admin)])


def build_plan(w: World) -> Expect:
    _job(w)  # already the technician's: the plan sequences it without a new assignment
    reply = w.api("POST", "/api/v1/dispatch/plans", w.admin, json={"area": "深圳市", "seconds": 1})
    plan_id = w.db.scalar(select(DayPlan.id).where(DayPlan.status == "active"))
    return Expect(reply, 201, [row("day_plan.built", "day_plan", plan_id, w.admin)])


def insert_emergency(w: World) -> Expect:
    w.technician()
    ticket = _ticket(w, priority=Priority.URGENT)
    reply = w.api("POST", f"/api/v1/tickets/{ticket.id}/dispatch/emergency", w.admin)
    assert reply.json()["assigned_to"] == "walk_tech", reply.text
    return Expect(reply, 200, [row("ticket.updated", "ticket", ticket.id, w.admin)])


def _job_step(name: str, until: str, body: dict[str, Any], actions: list[str], status: int = 200) -> Scenario:
    def scenario(w: World) -> Expect:
        ticket, tech = _job(w, until)
        reply = w.api("POST", f"/api/v1/jobs/{ticket.id}/{name}", tech, json=body)
        return Expect(reply, status, [row(action, "ticket", ticket.id, tech) for action in actions])

    return scenario


def add_promise(w: World) -> Expect:
    ticket, _ = _job(w)
    body = {"description": "上门赠送一根 HDMI 线", "due_at": "2026-11-24T18:00:00+08:00", "owner_username": "walk_tech"}
    reply = w.api("POST", f"/api/v1/tickets/{ticket.id}/promises", w.admin, json=body)
    return Expect(reply, 201, [row("promise.created", "ticket", ticket.id, w.admin)])


def _promise(w: World) -> tuple[int, Ticket, factories.MadeUser]:
    ticket, tech = _job(w)
    promise = promises.add_promise(
        w.db, clock=w.clock, actor=w.admin.actor, ticket_id=ticket.id, description="上门赠送一根 HDMI 线",
        due_at=w.clock.now() + timedelta(days=2), owner_username=tech.user.username,
    )  # fmt: skip
    return promise.id, ticket, tech


def acknowledge_promise(w: World) -> Expect:
    promise_id, ticket, tech = _promise(w)
    reply = w.api("POST", f"/api/v1/promises/{promise_id}/acknowledge", tech)
    return Expect(reply, 200, [row("promise.acknowledged", "ticket", ticket.id, tech)])


def fulfil_promise(w: World) -> Expect:
    promise_id, ticket, tech = _promise(w)
    reply = w.api("POST", f"/api/v1/promises/{promise_id}/fulfil", tech, json={"note": "已随车送达"})
    return Expect(reply, 200, [row("promise.fulfilled", "ticket", ticket.id, tech)])


def visit_attempt(w: World) -> Expect:
    visit = _visit(w)
    reply = w.api("POST", f"/api/v1/visits/{visit.id}/attempts", w.admin, json={"outcome": "no_answer"})
    return Expect(reply, 200, [row("visit.attempt", "return_visit", visit.id, w.admin)])


def visit_claim(w: World) -> Expect:
    visit = _visit(w)
    reply = w.api("POST", f"/api/v1/visits/{visit.id}/claim", w.admin)
    return Expect(reply, 200, [row("visit.claimed", "return_visit", visit.id, w.admin)])


def visit_survey(w: World) -> Expect:
    visit = _visit(w)
    scores = dict.fromkeys(feedback_rules.dimensions_for("repair", "hotline"), 5)
    reply = w.api("POST", f"/api/v1/visits/{visit.id}/survey", w.admin, json={"scores": scores})
    return Expect(
        reply,
        200,
        [
            row("ticket.return_visit", "ticket", visit.ticket_id, w.admin),
            row("visit.surveyed", "return_visit", visit.id, w.admin),
        ],
    )


def self_check(w: World) -> Expect:
    ticket, tech = _job(w, "on_site")
    reply = w.api("POST", f"/api/v1/tickets/{ticket.id}/self-check", tech, json={"items": SELF_CHECK_REPAIR})
    return Expect(reply, 201, [row("quality.self_check", "ticket", ticket.id, tech)])


def console_self_check(w: World) -> Expect:
    ticket, tech = _job(w, "on_site")
    csrf = w.sign_in(tech)
    data = {"csrf_token": csrf, **{f"item:{code}": "yes" if done else "no" for code, done in SELF_CHECK_REPAIR.items()}}
    reply = w.form(f"/console/jobs/{ticket.id}/self-check", data)
    return Expect(reply, 200, [row("quality.self_check", "ticket", ticket.id, tech)])


def draw_sample(w: World) -> Expect:
    [provider] = make_providers(w.db, w.clock, 1)
    insert_tickets(w.db, w.clock, organisation_id=provider, count=12, closed_at=local(2026, 11, 8, 15))
    body = {
        "level": "regional",
        "period_start": "2026-11-01T00:00:00+08:00",
        "period_end": "2026-11-16T00:00:00+08:00",
        "seed": 9,
    }
    reply = w.api("POST", "/api/v1/quality/samples", w.admin, json=body)
    return Expect(reply, 201, [row("quality.sample_drawn", "quality_sample", reply.json()["id"], w.admin)])


def submit_inspection(w: World) -> Expect:
    inspection_id = _sample(w).inspections[0].id
    body = {"scores": INSPECTION_GOOD}
    reply = w.api("POST", f"/api/v1/quality/inspections/{inspection_id}/submit", w.admin, json=body)
    return Expect(reply, 200, [row("quality.inspected", "quality_inspection", inspection_id, w.admin)])


def complete_rectification(w: World) -> Expect:
    inspection_id = _sample(w).inspections[0].id
    quality_inspection.submit_inspection(
        w.db, clock=w.clock, actor=w.admin.actor, inspection_id=inspection_id,
        scores={**INSPECTION_GOOD, "cleanliness": 2}, findings="现场遗留碎屑",
    )  # fmt: skip
    task_id = w.db.scalar(select(Rectification.id).where(Rectification.inspection_id == inspection_id))
    tech = w.users["walk_qtech"]
    assert w.db.scalar(select(Inspection.technician_id).where(Inspection.id == inspection_id)) == tech.user.id
    reply = w.api("POST", f"/api/v1/quality/rectifications/{task_id}/done", tech, json={"note": "已清理"})
    return Expect(reply, 200, [row("quality.rectified", "quality_rectification", task_id, tech)])


def propose_compensation(w: World) -> Expect:
    ticket = _ticket(w)
    body = {"ticket_id": ticket.id, "kind": "coupon", "amount_cents": 5000, "reason": "上门迟到"}
    reply = w.api("POST", "/api/v1/compensations", w.admin, json=body)
    return Expect(reply, 201, [row("compensation.proposed", "compensation", reply.json()["id"], w.admin)])


def decide_compensation(w: World) -> Expect:
    ticket = _ticket(w)
    agent = w.user("walk_agent", Role.AGENT)
    entry = compensation.propose_compensation(
        w.db, clock=w.clock, actor=agent.actor, ticket_id=ticket.id, kind="coupon", amount_cents=5000, reason="迟到"
    )
    reply = w.api("POST", f"/api/v1/compensations/{entry.id}/approve", w.admin, json={"note": "同意"})
    return Expect(reply, 200, [row("compensation.approved", "compensation", entry.id, w.admin)])


# --- console scenarios -----------------------------------------------------------------------------------


def console_login_scenario(w: World) -> Expect:
    w.admin  # noqa: B018 - the user exists before the login page is drawn
    w.db.commit()
    page = w.client.get("/console/login")
    match = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
    assert match is not None
    data = {"username": "walk_admin", "password": factories.PASSWORD, "login_csrf": match.group(1)}
    reply = w.form("/console/login", data)
    session_id = w.db.scalar(select(ConsoleSession.id).where(ConsoleSession.user_id == w.admin.user.id))
    return Expect(reply, 303, [row("session.login", "console_session", session_id, w.admin)])


def console_logout(w: World) -> Expect:
    csrf = w.sign_in(w.admin)
    session_id = w.db.scalar(select(ConsoleSession.id).where(ConsoleSession.user_id == w.admin.user.id))
    reply = w.form("/console/logout", {"csrf_token": csrf})
    return Expect(reply, 303, [row("session.logout", "console_session", session_id, w.admin)])


def console_admin_create_user(w: World) -> Expect:
    factories.organisation_tree(w.db, clock=w.clock, prefix="U")
    csrf = w.sign_in(w.admin)
    data = {
        "csrf_token": csrf,
        "username": "walk_new",
        "display_name": "客服新人",
        "role": "agent",
        "organisation": "USC-上海",
        "password": "walk-pass-1",
        "password_confirm": "walk-pass-1",
    }
    reply = w.form("/console/admin/users/new", data)
    user_id = w.db.scalar(select(User.id).where(User.username == "walk_new"))
    return Expect(reply, 303, [row("user.created", "user", user_id, w.admin)])


def console_admin_update_user(w: World) -> Expect:
    agent = w.user("walk_agent", Role.AGENT)
    csrf = w.sign_in(w.admin)
    data = {"csrf_token": csrf, "display_name": "调度新人", "role": "dispatcher", "organisation": ""}
    reply = w.form(f"/console/admin/users/{agent.user.id}", data)
    return Expect(reply, 303, [row("user.updated", "user", agent.user.id, w.admin)])


def console_admin_reset_password(w: World) -> Expect:
    agent = w.user("walk_agent", Role.AGENT)
    csrf = w.sign_in(w.admin)
    data = {"csrf_token": csrf, "password": "walk-pass-2", "password_confirm": "walk-pass-2"}
    reply = w.form(f"/console/admin/users/{agent.user.id}/password", data)
    return Expect(reply, 303, [row("user.password_set", "user", agent.user.id, w.admin)])


def console_admin_disable_user(w: World) -> Expect:
    agent = w.user("walk_agent", Role.AGENT)
    csrf = w.sign_in(w.admin)
    reply = w.form(f"/console/admin/users/{agent.user.id}/disable", {"csrf_token": csrf})
    return Expect(reply, 303, [row("user.disabled", "user", agent.user.id, w.admin)])


def console_admin_enable_user(w: World) -> Expect:
    agent = w.user("walk_agent", Role.AGENT)
    accounts_service.set_active(w.db, clock=w.clock, actor=SYSTEM_ACTOR, username="walk_agent", active=False)
    csrf = w.sign_in(w.admin)
    reply = w.form(f"/console/admin/users/{agent.user.id}/enable", {"csrf_token": csrf})
    return Expect(reply, 303, [row("user.enabled", "user", agent.user.id, w.admin)])


def console_admin_create_organisation(w: World) -> Expect:
    tree = factories.organisation_tree(w.db, clock=w.clock, prefix="O")
    csrf = w.sign_in(w.admin)
    data = {"csrf_token": csrf, "code": "OSC-杭州", "name": "杭州服务中心", "kind": "service_center"}
    reply = w.form("/console/admin/organisations/new", data | {"parent": tree.region.code, "city": "杭州"})
    organisation_id = w.db.scalar(select(Organisation.id).where(Organisation.code == "OSC-杭州"))
    return Expect(reply, 303, [row("organisation.created", "organisation", organisation_id, w.admin)])


def console_admin_update_organisation(w: World) -> Expect:
    tree = factories.organisation_tree(w.db, clock=w.clock, prefix="O")
    csrf = w.sign_in(w.admin)
    data = {"csrf_token": csrf, "code": "OEAST", "name": "华东大区（新）", "kind": "region", "parent": "OHQ"}
    reply = w.form(f"/console/admin/organisations/{tree.region.id}", data | {"city": ""})
    return Expect(reply, 303, [row("organisation.updated", "organisation", tree.region.id, w.admin)])


def console_new_ticket(w: World) -> Expect:
    agent = w.user("walk_agent", Role.AGENT)  # the form is the agents' (admins use the API)
    csrf = w.sign_in(agent)
    data = {
        "csrf_token": csrf,
        "name": "张三",
        "phone": "13800138000",
        "address": factories.CUSTOMER_ADDRESS,
        "kind": "repair",
        "priority": "routine",
        "description": factories.DESCRIPTION,
    }
    reply = w.form("/console/tickets/new", data)
    ticket_id = w.db.scalar(select(func.max(Ticket.id)))
    return Expect(reply, 303, [row("ticket.created", "ticket", ticket_id, agent)])


def console_ticket_event(w: World) -> Expect:
    ticket = _ticket(w)
    csrf = w.sign_in(w.admin)
    data = {"csrf_token": csrf, "type": "contact", "version": ticket.version, "note": "已联系"}
    reply = w.form(f"/console/tickets/{ticket.id}/events", data)
    return Expect(reply, 303, [row("ticket.contact", "ticket", ticket.id, w.admin)])


def console_ticket_comment(w: World) -> Expect:
    ticket = _ticket(w)
    csrf = w.sign_in(w.admin)
    reply = w.form(f"/console/tickets/{ticket.id}/comments", {"csrf_token": csrf, "body": "客户下午在家"})
    return Expect(reply, 303, [row("ticket.comment", "ticket", ticket.id, w.admin)])


def console_ticket_solution(w: World) -> Expect:
    article_id = _article(w, status="published")
    ticket = _ticket(w)
    agent = w.user("walk_agent", Role.AGENT)  # recording a solution in the console is the agents'
    csrf = w.sign_in(agent)
    reply = w.form(f"/console/tickets/{ticket.id}/solutions", {"csrf_token": csrf, "article_id": article_id})
    return Expect(reply, 200, [row("knowledge.solved", "ticket", ticket.id, agent)])


def console_assign(w: World) -> Expect:
    w.technician()
    ticket = _ticket(w)
    csrf = w.sign_in(w.admin)
    data = {"csrf_token": csrf, "assignee": "walk_tech", "version": ticket.version}
    reply = w.form(f"/console/tickets/{ticket.id}/assign", data)
    return Expect(reply, 303, [row("ticket.updated", "ticket", ticket.id, w.admin)])


def console_auto_dispatch(w: World) -> Expect:
    w.technician()
    ticket = _ticket(w)
    csrf = w.sign_in(w.admin)
    reply = w.form(f"/console/tickets/{ticket.id}/auto-dispatch", {"csrf_token": csrf})
    return Expect(reply, 303, [row("ticket.updated", "ticket", ticket.id, w.admin)])


def console_edit_ticket(w: World) -> Expect:
    ticket = _ticket(w)
    csrf = w.sign_in(w.admin)
    shown = {"kind": "repair", "priority": "routine", "description": ticket.description}
    shown |= {"product_model": "YL-S7", "serial_number": "SN-0001", "assignee": ""}
    data = {"csrf_token": csrf, "version": ticket.version, **{f"base_{name}": value for name, value in shown.items()}}
    reply = w.form(f"/console/tickets/{ticket.id}/edit", data | shown | {"priority": "urgent"})
    return Expect(reply, 303, [row("ticket.updated", "ticket", ticket.id, w.admin)])


def console_assign_candidate(w: World) -> Expect:
    w.technician()
    ticket = _ticket(w)
    csrf = w.sign_in(w.admin)
    data = {"csrf_token": csrf, "username": "walk_tech", "version": ticket.version, "assignee_was": ""}
    reply = w.form(f"/console/tickets/{ticket.id}/candidates/assign", data)
    return Expect(reply, 303, [row("ticket.updated", "ticket", ticket.id, w.admin)])


def console_plan(w: World) -> Expect:
    _job(w)
    csrf = w.sign_in(w.admin)
    reply = w.form("/console/plans", {"csrf_token": csrf, "area": "深圳市", "day": "2026-11-22"})
    plan_id = w.db.scalar(select(DayPlan.id).where(DayPlan.status == "active"))
    return Expect(reply, 303, [row("day_plan.built", "day_plan", plan_id, w.admin)])


def console_job_event(w: World) -> Expect:
    ticket, tech = _job(w, "accepted")
    csrf = w.sign_in(tech)
    version = _ticket_version(w, ticket.id)
    data = {"csrf_token": csrf, "type": "contact", "version": version, "note": "已电话联系"}
    reply = w.form(f"/console/jobs/{ticket.id}/events", data)
    return Expect(reply, 303, [row("ticket.contact", "ticket", ticket.id, tech)])


def console_job_field(w: World) -> Expect:
    ticket, tech = _job(w)
    csrf = w.sign_in(tech)
    reply = w.form(f"/console/jobs/{ticket.id}/field", {"csrf_token": csrf, "action": "accept"})
    return Expect(reply, 303, [row("job.accept", "ticket", ticket.id, tech)])


def console_acknowledge_promise(w: World) -> Expect:
    promise_id, ticket, tech = _promise(w)
    csrf = w.sign_in(tech)
    reply = w.form(f"/console/promises/{promise_id}/acknowledge", {"csrf_token": csrf})
    return Expect(reply, 303, [row("promise.acknowledged", "ticket", ticket.id, tech)])


def console_make_promise(w: World) -> Expect:
    ticket, tech = _job(w)
    csrf = w.sign_in(w.admin)
    owner = tech.user.username
    data = {"csrf_token": csrf, "description": "上门赠送一根 HDMI 线", "due_at": "2026-11-24T18:00", "owner": owner}
    reply = w.form(f"/console/tickets/{ticket.id}/promises", data)
    return Expect(reply, 303, [row("promise.created", "ticket", ticket.id, w.admin)])


def console_fulfil_promise(w: World) -> Expect:
    promise_id, ticket, _ = _promise(w)
    csrf = w.sign_in(w.admin)
    reply = w.form(f"/console/promises/{promise_id}/fulfil", {"csrf_token": csrf, "note": "已随车送达"})
    return Expect(reply, 303, [row("promise.fulfilled", "ticket", ticket.id, w.admin)])


def console_book_appointment(w: World) -> Expect:
    ticket, tech = _job(w)
    csrf = w.sign_in(tech)
    data = {"csrf_token": csrf, "date": "2026-11-23", "slot": "10:00-12:00"}
    reply = w.form(f"/console/tickets/{ticket.id}/appointments", data)
    return Expect(reply, 303, [row("appointment.booked", "ticket", ticket.id, tech)])


def console_visit_attempt(w: World) -> Expect:
    visit = _visit(w)
    csrf = w.sign_in(w.admin)
    reply = w.form(f"/console/visits/{visit.id}/attempts", {"csrf_token": csrf, "outcome": "busy"})
    return Expect(reply, 303, [row("visit.attempt", "return_visit", visit.id, w.admin)])


def console_visit_claim(w: World) -> Expect:
    visit = _visit(w)
    csrf = w.sign_in(w.admin)
    reply = w.form(f"/console/visits/{visit.id}/claim", {"csrf_token": csrf})
    return Expect(reply, 303, [row("visit.claimed", "return_visit", visit.id, w.admin)])


def console_visit_survey(w: World) -> Expect:
    visit = _visit(w)
    csrf = w.sign_in(w.admin)
    answers = dict.fromkeys(feedback_rules.dimensions_for("repair", "hotline"), "4")
    reply = w.form(f"/console/visits/{visit.id}/survey", {"csrf_token": csrf, **answers})
    return Expect(
        reply,
        303,
        [
            row("ticket.return_visit", "ticket", visit.ticket_id, w.admin),
            row("visit.surveyed", "return_visit", visit.id, w.admin),
        ],
    )


def survey_link(w: World) -> Expect:
    visit = _visit(w)
    token = feedback_rules.sign_link(factories.SIGNING_KEY, visit.id, visit.link_expires_at, visit.link_nonce)
    answers = dict.fromkeys(feedback_rules.dimensions_for("repair", "hotline"), "5")
    reply = w.form(f"/survey/{token}", answers)
    return Expect(
        reply,
        200,
        [
            row("ticket.return_visit", "ticket", visit.ticket_id, "survey-link"),
            row("visit.surveyed", "return_visit", visit.id, "survey-link"),
        ],
    )


def self_service_request(w: World) -> Expect:
    page = w.client.get("/self-service/request")
    match = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert match is not None
    data = {
        "name": "张三",
        "phone": "13800138000",
        "address": factories.CUSTOMER_ADDRESS,
        "product_model": "YL-S7",
        "description": factories.DESCRIPTION,
        "form_token": match.group(1),
    }
    reply = w.form("/self-service/request", data)
    ticket_id = w.db.scalar(select(func.max(Ticket.id)))
    return Expect(reply, 200, [row("ticket.created", "ticket", ticket_id, "self-service")])


def console_draw_sample(w: World) -> Expect:
    [provider] = make_providers(w.db, w.clock, 1)
    insert_tickets(w.db, w.clock, organisation_id=provider, count=12, closed_at=local(2026, 11, 8, 15))
    csrf = w.sign_in(w.admin)
    data = {"csrf_token": csrf, "level": "regional", "start": "2026-11-01", "end": "2026-11-15", "seed": "9"}
    reply = w.form("/console/quality/samples", data)
    sample_id = w.db.scalar(select(func.max(Sample.id)))
    return Expect(reply, 303, [row("quality.sample_drawn", "quality_sample", sample_id, w.admin)])


def console_submit_inspection(w: World) -> Expect:
    inspection_id = _sample(w).inspections[0].id
    csrf = w.sign_in(w.admin)
    scores = {code: str(value) for code, value in INSPECTION_GOOD.items()}
    reply = w.form(f"/console/quality/inspections/{inspection_id}", {"csrf_token": csrf, **scores})
    return Expect(reply, 303, [row("quality.inspected", "quality_inspection", inspection_id, w.admin)])


def console_complete_rectification(w: World) -> Expect:
    inspection_id = _sample(w).inspections[0].id
    quality_inspection.submit_inspection(
        w.db, clock=w.clock, actor=w.admin.actor, inspection_id=inspection_id,
        scores={**INSPECTION_GOOD, "cleanliness": 2}, findings="现场遗留碎屑",
    )  # fmt: skip
    task_id = w.db.scalar(select(Rectification.id).where(Rectification.inspection_id == inspection_id))
    tech = w.users["walk_qtech"]
    csrf = w.sign_in(tech)
    reply = w.form(f"/console/quality/rectifications/{task_id}/done", {"csrf_token": csrf, "note": "已清理"})
    return Expect(reply, 303, [row("quality.rectified", "quality_rectification", task_id, tech)])


def console_propose_compensation(w: World) -> Expect:
    ticket = _ticket(w)
    csrf = w.sign_in(w.admin)
    data = {"csrf_token": csrf, "kind": "coupon", "amount": "50", "reason": "上门迟到"}
    reply = w.form(f"/console/compensation/tickets/{ticket.id}", data)
    entry_id = w.db.scalar(select(func.max(Compensation.id)))
    return Expect(reply, 303, [row("compensation.proposed", "compensation", entry_id, w.admin)])


def console_decide_compensation(w: World) -> Expect:
    ticket = _ticket(w)
    agent = w.user("walk_agent", Role.AGENT)
    entry = compensation.propose_compensation(
        w.db, clock=w.clock, actor=agent.actor, ticket_id=ticket.id, kind="coupon", amount_cents=5000, reason="迟到"
    )
    csrf = w.sign_in(w.admin)
    reply = w.form(f"/console/compensation/{entry.id}/decision", {"csrf_token": csrf, "decision": "approve"})
    return Expect(reply, 303, [row("compensation.approved", "compensation", entry.id, w.admin)])


def _flagged_visit(w: World) -> tuple[int, Ticket]:
    """A visit the technician left at once (flagged as a short stay)."""
    ticket, tech = _job(w, "on_site")
    fieldwork.check_out(w.db, clock=w.clock, actor=tech.actor, ticket_id=ticket.id)
    flag_id = w.db.scalar(select(func.max(VisitFlag.id)))
    assert flag_id is not None
    return flag_id, ticket


def review_visit_flag(w: World) -> Expect:
    flag_id, ticket = _flagged_visit(w)
    reply = w.api("POST", f"/api/v1/visit-flags/{flag_id}/review", w.admin, json={"note": "已核实"})
    return Expect(reply, 200, [row("job.visit_reviewed", "ticket", ticket.id, w.admin)])


def console_review_visit_flag(w: World) -> Expect:
    flag_id, ticket = _flagged_visit(w)
    csrf = w.sign_in(w.admin)
    reply = w.form(f"/console/tickets/{ticket.id}/visit-flags/{flag_id}/review", {"csrf_token": csrf})
    return Expect(reply, 303, [row("job.visit_reviewed", "ticket", ticket.id, w.admin)])


def console_list_review_visit_flag(w: World) -> Expect:
    flag_id, ticket = _flagged_visit(w)
    csrf = w.sign_in(w.admin)
    reply = w.form(f"/console/visit-flags/{flag_id}/review", {"csrf_token": csrf, "note": "已电话核实"})
    return Expect(reply, 303, [row("job.visit_reviewed", "ticket", ticket.id, w.admin)])


def console_return_visit(w: World) -> Expect:
    ticket, _ = _job(w, "resolved")
    csrf = w.sign_in(w.admin)
    reply = w.form(f"/console/tickets/{ticket.id}/return-visit", {"csrf_token": csrf})
    visit_id = w.db.scalar(select(func.max(ReturnVisit.id)))
    return Expect(reply, 303, [row("visit.scheduled", "return_visit", visit_id, w.admin)])


# --- the 售后辞典 and known-issue bulletins in the console ------------------------------------------------

ARTICLE_FORM = {
    "title": "密码锁没电怎么办",
    "body": "用**应急电源**从底部供电后开锁。",
    "questions": "锁没电了",
    "type": "faq",
    "audience": "both",
    "product_models": "YL-S7",
}
BULLETIN_FORM = {
    "title": "YL-S7 指纹模块批次故障",
    "cause": "一批指纹模块固件缺陷",
    "workaround": "使用密码开锁",
    "product_models": "YL-S7",
    "keywords": "指纹",
    "departments": ["agent"],
}


def console_create_article(w: World) -> Expect:
    csrf = w.sign_in(w.admin)
    reply = w.form("/console/knowledge/new", {"csrf_token": csrf, **ARTICLE_FORM, "status": "draft"})
    article_id = reply.headers["location"].split("/")[-1].split("?")[0]
    return Expect(reply, 303, [row("knowledge.created", "article", article_id, w.admin)])


def console_edit_article(w: World) -> Expect:
    article_id = _article(w)
    csrf = w.sign_in(w.admin)
    data = {"csrf_token": csrf, **ARTICLE_FORM, "version": "1"}
    reply = w.form(f"/console/knowledge/{article_id}/edit", data)
    return Expect(reply, 303, [row("knowledge.updated", "article", article_id, w.admin)])


def console_article_status(w: World) -> Expect:
    article_id = _article(w)
    csrf = w.sign_in(w.admin)
    reply = w.form(f"/console/knowledge/{article_id}/status", {"csrf_token": csrf, "action": "publish", "version": "1"})
    return Expect(reply, 303, [row("knowledge.updated", "article", article_id, w.admin)])


def console_create_bulletin(w: World) -> Expect:
    csrf = w.sign_in(w.admin)
    reply = w.form("/console/bulletins/new", {"csrf_token": csrf, **BULLETIN_FORM, "status": "draft"})
    bulletin_id = reply.headers["location"].split("/")[-1].split("?")[0]
    return Expect(reply, 303, [row("bulletin.created", "bulletin", bulletin_id, w.admin)])


def console_edit_bulletin(w: World) -> Expect:
    bulletin_id = _bulletin(w, published=False)
    csrf = w.sign_in(w.admin)
    data = {"csrf_token": csrf, **BULLETIN_FORM, "cause": "固件缺陷", "version": "1"}
    reply = w.form(f"/console/bulletins/{bulletin_id}/edit", data)
    return Expect(reply, 303, [row("bulletin.changed", "bulletin", bulletin_id, w.admin)])


def _console_bulletin_move(move: str, action: str, published: bool, **extra: str) -> Scenario:
    def scenario(w: World) -> Expect:
        bulletin_id = _bulletin(w, published=published)
        csrf = w.sign_in(w.admin)
        reply = w.form(f"/console/bulletins/{bulletin_id}/{move}", {"csrf_token": csrf, "version": "1", **extra})
        return Expect(reply, 303, [row(action, "bulletin", bulletin_id, w.admin)])

    return scenario


def console_new_service_point(w: World) -> Expect:
    tree = factories.organisation_tree(w.db, clock=w.clock, prefix="NP", city="深圳")
    csrf = w.sign_in(w.admin)
    data = {
        "csrf_token": csrf, "code": "NP-BA", "name": "宝安快修点", "organisation_kind": "service_center",
        "parent": tree.region.code, "city": "深圳市", "kind": "quick_repair_point", "adcodes": ["440306"],
        "capacity_per_day": "30", "city_type": "urban", "opens": "09:00", "closes": "21:00",
    }  # fmt: skip
    reply = w.form("/console/network/new", data)
    organisation_id = w.db.scalar(select(Organisation.id).where(Organisation.code == "NP-BA"))
    return Expect(
        reply,
        303,
        [
            row("organisation.created", "organisation", organisation_id, w.admin),
            row("service_point.set", "organisation", organisation_id, w.admin),
        ],
    )


def console_save_service_point(w: World) -> Expect:
    w.technician()
    center = accounts_service.get_organisation_by_code(w.db, w.center_code or "")
    csrf = w.sign_in(w.admin)
    data = {
        "csrf_token": csrf, "kind": "service_center", "longitude": "113.95", "latitude": "22.54",
        "radius_km": "30", "capacity_per_day": "60", "city_type": "urban", "opens": "08:00", "closes": "20:00",
    }  # fmt: skip
    reply = w.form(f"/console/network/points/{center.code}", data)
    return Expect(reply, 303, [row("service_point.set", "organisation", center.id, w.admin)])


def console_assign_technician(w: World) -> Expect:
    w.technician()
    newcomer = w.user("walk_newcomer", Role.TECHNICIAN)
    csrf = w.sign_in(w.admin)
    reply = w.form(
        f"/console/network/points/{w.center_code}/technicians", {"csrf_token": csrf, "username": "walk_newcomer"}
    )
    return Expect(reply, 303, [row("technician.assigned", "user", newcomer.user.id, w.admin)])


def console_technician_profile(w: World) -> Expect:
    tech = w.technician()
    csrf = w.sign_in(w.admin)
    data = {
        "csrf_token": csrf, "point": w.center_code, "skills": ["lock:repair"], "longitude": "113.93",
        "latitude": "22.53", "shift_start": "08:00", "shift_end": "18:00", "max_jobs_per_day": "8", "active": "1",
    }  # fmt: skip
    reply = w.form("/console/network/technicians/walk_tech", data)
    return Expect(reply, 303, [row("technician.profile_set", "user", tech.user.id, w.admin)])


def console_sla_policy(w: World) -> Expect:
    policy = sla_service.get_policy(w.db, "urgent")
    csrf = w.sign_in(w.admin)
    data = {
        "csrf_token": csrf, "fingerprint": sla_service.policy_fingerprint(policy), "first_response": "20",
        "first_response_unit": "minutes", "onsite": "2", "onsite_unit": "hours", "resolution": "24",
        "resolution_unit": "hours", "onsite_kinds": ["installation", "repair"], "calendar": "7x24",
        "warning_percent": "80",
    }  # fmt: skip
    reply = w.form("/console/sla/policies/urgent", data)
    return Expect(reply, 303, [row("sla_policy.changed", "sla_policy", policy.id, w.admin)])


def _calendar_form(path: str, action: str, fields: dict[str, str]) -> Scenario:
    """A form on the statutory calendar's page and the one audit entry it appends."""

    def scenario(w: World) -> Expect:
        calendar = sla_service.get_calendar(w.db, "statutory")
        if action == "sla_calendar.day_removed":
            sla_service.set_calendar_day(
                w.db, code="statutory", day=factories.local(2027, 1, 1).date(), hours=[], note=None
            )
        csrf = w.sign_in(w.admin)
        data = {"csrf_token": csrf, "revision": str(calendar.revision), **fields}
        reply = w.form(f"/console/sla/calendars/statutory{path}", data)
        return Expect(reply, 303, [row(action, "sla_calendar", calendar.id, w.admin)])

    return scenario


def console_add_triage_rule(w: World) -> Expect:
    csrf = w.sign_in(w.admin)
    data = {"csrf_token": csrf, "name": "walk-rule", "keywords": "漏水", "priority": "urgent", "position": "5"}
    reply = w.form("/console/triage/rules", data)
    rule_id = w.db.scalar(select(IntakeRule.id).where(IntakeRule.name == "walk-rule"))
    return Expect(reply, 303, [row("triage_rule.added", "triage_rule", rule_id, w.admin)])


def _console_triage_rule_form(w: World, path: str, action: str, entity: str, **fields: str) -> Expect:
    rule = triage_service.add_rule(w.db, name="walk-rule", keywords=["漏水"], kind=None, priority="urgent")
    csrf = w.sign_in(w.admin)
    data = {"csrf_token": csrf, "fingerprint": triage_service.rule_fingerprint(rule), **fields}
    reply = w.form(f"/console/triage/rules/{rule.id}{path}", data)
    return Expect(reply, 303, [row(action, "triage_rule", rule.id if entity == "id" else rule.name, w.admin)])


def console_edit_triage_rule(w: World) -> Expect:
    fields = {"name": "walk-rule", "keywords": "漏水、渗水", "priority": "urgent", "position": "100", "is_active": "1"}
    return _console_triage_rule_form(w, "", "triage_rule.updated", "id", **fields)


def console_delete_triage_rule(w: World) -> Expect:
    # Recorded by name, as DELETE /api/v1/triage/rules/{name} records it.
    return _console_triage_rule_form(w, "/delete", "triage_rule.deleted", "name")


def console_activate_triage_model(w: World) -> Expect:
    triage_factories.model_version(w.db, clock=w.clock)
    triage_factories.model_version(w.db, clock=w.clock)
    csrf = w.sign_in(w.admin)
    reply = w.form("/console/triage/models/1/activate", {"csrf_token": csrf, "active": "2"})
    return Expect(reply, 303, [row("triage_model.activated", "triage_model", 1, w.admin)])


def console_use_shipped_triage_model(w: World) -> Expect:
    triage_factories.model_version(w.db, clock=w.clock)
    csrf = w.sign_in(w.admin)
    reply = w.form("/console/triage/models/shipped", {"csrf_token": csrf, "active": "1"})
    return Expect(reply, 303, [row("triage_model.shipped_restored", "triage_model", 1, w.admin)])


def console_add_synonyms(w: World) -> Expect:
    csrf = w.sign_in(w.admin)
    reply = w.form("/console/knowledge/synonyms", {"csrf_token": csrf, "term": "指纹", "synonyms": "手指"})
    synonym_id = w.db.scalar(select(Synonym.id).where(Synonym.term == "指纹"))
    return Expect(reply, 303, [row("knowledge.synonyms_set", "synonym", synonym_id, w.admin)])


def _console_synonyms_form(w: World, path: str, action: str, **fields: str) -> Expect:
    found = knowledge_service.set_synonyms(w.db, clock=w.clock, term="指纹", synonyms=["手指"])
    csrf = w.sign_in(w.admin)
    data = {"csrf_token": csrf, "fingerprint": knowledge_synonyms.fingerprint(found), **fields}
    reply = w.form(f"/console/knowledge/synonyms/{found.id}{path}", data)
    return Expect(reply, 303, [row(action, "synonym", found.id, w.admin)])


def console_edit_synonyms(w: World) -> Expect:
    return _console_synonyms_form(w, "", "knowledge.synonyms_set", synonyms="手指、指头")


def console_delete_synonyms(w: World) -> Expect:
    return _console_synonyms_form(w, "/delete", "knowledge.synonyms_deleted")


def console_save_ticket_filter(w: World) -> Expect:
    agent = w.user("walk_agent", Role.AGENT)
    csrf = w.sign_in(agent)
    reply = w.form("/console/tickets/filters", {"csrf_token": csrf, "name": "我的紧急单", "priority": "urgent"})
    filter_id = w.db.scalar(select(func.max(SavedFilter.id)))
    return Expect(reply, 303, [row("ticket_filter.saved", "ticket_filter", filter_id, agent)])


def console_delete_ticket_filter(w: World) -> Expect:
    agent = w.user("walk_agent", Role.AGENT)
    saved = saved_filters_service.save_filter(
        w.db, clock=w.clock, actor=agent.actor, name="我的紧急单", filters={"priority": "urgent"}
    )
    csrf = w.sign_in(agent)
    reply = w.form(f"/console/tickets/filters/{saved.id}/delete", {"csrf_token": csrf})
    return Expect(reply, 303, [row("ticket_filter.deleted", "ticket_filter", saved.id, agent)])


SCENARIOS: dict[Route, Scenario] = {
    ("POST", "/console/tickets/filters"): console_save_ticket_filter,
    ("POST", "/console/tickets/filters/{filter_id}/delete"): console_delete_ticket_filter,
    ("POST", "/console/triage/rules"): console_add_triage_rule,
    ("POST", "/console/triage/rules/{rule_id}"): console_edit_triage_rule,
    ("POST", "/console/triage/rules/{rule_id}/delete"): console_delete_triage_rule,
    ("POST", "/console/triage/models/{version}/activate"): console_activate_triage_model,
    ("POST", "/console/triage/models/shipped"): console_use_shipped_triage_model,
    ("POST", "/console/knowledge/synonyms"): console_add_synonyms,
    ("POST", "/console/knowledge/synonyms/{synonym_id}"): console_edit_synonyms,
    ("POST", "/console/knowledge/synonyms/{synonym_id}/delete"): console_delete_synonyms,
    ("POST", "/console/network/new"): console_new_service_point,
    ("POST", "/console/network/points/{organisation_code}"): console_save_service_point,
    ("POST", "/console/network/points/{organisation_code}/technicians"): console_assign_technician,
    ("POST", "/console/network/technicians/{username}"): console_technician_profile,
    ("POST", "/console/sla/policies/{priority}"): console_sla_policy,
    ("POST", "/console/sla/calendars/{calendar_code}/hours"): _calendar_form(
        "/hours", "sla_calendar.hours_set", {f"weekday_{day}": "09:00-18:00" for day in range(5)}
    ),
    ("POST", "/console/sla/calendars/{calendar_code}/days"): _calendar_form(
        "/days", "sla_calendar.day_set", {"date": "2027-01-01", "kind": "holiday", "note": "元旦"}
    ),
    ("POST", "/console/sla/calendars/{calendar_code}/days/remove"): _calendar_form(
        "/days/remove", "sla_calendar.day_removed", {"date": "2027-01-01"}
    ),
    ("POST", "/console/sla/calendars/{calendar_code}/years"): _calendar_form(
        "/years", "sla_calendar.year_entered", {"year": "2027"}
    ),
    ("POST", "/api/v1/tickets"): create_ticket,
    ("PATCH", "/api/v1/tickets/{ticket_id}"): patch_ticket,
    ("POST", "/api/v1/tickets/{ticket_id}/events"): ticket_event,
    ("POST", "/api/v1/tickets/{ticket_id}/comments"): ticket_comment,
    ("POST", "/api/v1/assist"): assist,
    ("POST", "/api/v1/triage/rules"): add_triage_rule,
    ("DELETE", "/api/v1/triage/rules/{name}"): delete_triage_rule,
    ("POST", "/api/v1/knowledge/articles"): create_article,
    ("PATCH", "/api/v1/knowledge/articles/{article_id}"): update_article,
    ("DELETE", "/api/v1/knowledge/articles/{article_id}"): archive_article,
    ("PUT", "/api/v1/knowledge/synonyms"): put_synonyms,
    ("POST", "/api/v1/tickets/{ticket_id}/solutions"): record_solution,
    ("POST", "/api/v1/bulletins"): create_bulletin,
    ("PATCH", "/api/v1/bulletins/{bulletin_id}"): update_bulletin,
    ("POST", "/api/v1/bulletins/{bulletin_id}/publish"): publish_bulletin,
    ("POST", "/api/v1/bulletins/{bulletin_id}/fix"): fix_bulletin,
    ("POST", "/api/v1/bulletins/{bulletin_id}/withdraw"): withdraw_bulletin,
    ("POST", "/api/v1/bulletins/{bulletin_id}/tickets/{ticket_id}"): link_bulletin,
    ("PUT", "/api/v1/notifications/preferences/{phone}"): put_preference,
    ("POST", "/api/v1/notifications/outbox/retry"): retry_outbox,
    ("POST", "/api/v1/notifications/inbox/read"): read_inbox,
    ("POST", "/console/inbox/read"): console_read_inbox,
    ("POST", "/console/notifications/rules"): console_create_routing_rule,
    ("POST", "/console/notifications/rules/{rule_id}"): console_update_routing_rule,
    ("POST", "/console/notifications/rules/{rule_id}/active"): console_disable_routing_rule,
    ("POST", "/console/notifications/rules/{rule_id}/delete"): console_delete_routing_rule,
    ("POST", "/console/notifications/outbox/retry"): console_retry_outbox,
    ("POST", "/console/notifications/preferences"): console_set_preference,
    ("PUT", "/api/v1/dispatch/technicians/{username}"): put_technician,
    ("PUT", "/api/v1/dispatch/service-points/{organisation_code}"): put_service_point,
    ("POST", "/api/v1/tickets/{ticket_id}/dispatch"): dispatch_ticket,
    ("POST", "/api/v1/tickets/{ticket_id}/appointments"): book_appointment,
    ("POST", "/api/v1/dispatch/plans"): build_plan,
    ("POST", "/api/v1/tickets/{ticket_id}/dispatch/emergency"): insert_emergency,
    ("POST", "/api/v1/jobs/{ticket_id}/accept"): _job_step("accept", "assigned", {}, ["job.accept"]),
    ("POST", "/api/v1/jobs/{ticket_id}/decline"): _job_step(
        "decline", "assigned", {"reason": "超出服务范围"}, ["ticket.unassigned"], status=204
    ),
    ("POST", "/api/v1/jobs/{ticket_id}/on-the-way"): _job_step(
        "on-the-way", "accepted", {}, ["ticket.contact", "job.on_the_way"]
    ),
    ("POST", "/api/v1/jobs/{ticket_id}/check-in"): _job_step(
        "check-in", "accepted", {"longitude": 113.93, "latitude": 22.53}, ["ticket.contact", "ticket.check_in"]
    ),
    ("POST", "/api/v1/jobs/{ticket_id}/diagnosis"): _job_step(
        "diagnosis", "on_site", {"fault": "指纹模块损坏"}, ["job.diagnosis"]
    ),
    ("POST", "/api/v1/jobs/{ticket_id}/parts"): _job_step(
        "parts", "on_site", {"parts": [{"part_code": "FP-01", "name": "指纹模块", "quantity": 1}]}, ["job.parts_used"]
    ),
    ("POST", "/api/v1/jobs/{ticket_id}/result"): _job_step(
        "result", "on_site", {"note": "已更换指纹模块", "photos": [PHOTO]}, ["ticket.result"]
    ),
    ("POST", "/api/v1/jobs/{ticket_id}/photos"): _job_step("photos", "on_site", {"photos": [PHOTO]}, ["job.photo"]),
    ("POST", "/api/v1/jobs/{ticket_id}/confirmation-code"): _job_step(
        "confirmation-code", "resolved", {}, ["job.confirmation_code_sent"]
    ),
    ("POST", "/api/v1/jobs/{ticket_id}/confirmation"): _job_step(
        "confirmation",
        "resolved",
        {"method": "signature", "signature_base64": PHOTO["content_base64"]},
        ["job.confirmation"],
    ),
    # Left at once: the short stay flags the visit for the inspector.
    ("POST", "/api/v1/jobs/{ticket_id}/check-out"): _job_step(
        "check-out", "on_site", {}, ["visit_flag.raised", "job.check_out"]
    ),
    ("POST", "/api/v1/visit-flags/{flag_id}/review"): review_visit_flag,
    ("POST", "/console/tickets/{ticket_id}/visit-flags/{flag_id}/review"): console_review_visit_flag,
    ("POST", "/console/visit-flags/{flag_id}/review"): console_list_review_visit_flag,
    ("POST", "/console/tickets/{ticket_id}/return-visit"): console_return_visit,
    ("POST", "/api/v1/tickets/{ticket_id}/promises"): add_promise,
    ("POST", "/api/v1/promises/{promise_id}/acknowledge"): acknowledge_promise,
    ("POST", "/api/v1/promises/{promise_id}/fulfil"): fulfil_promise,
    ("POST", "/api/v1/visits/{visit_id}/attempts"): visit_attempt,
    ("POST", "/api/v1/visits/{visit_id}/survey"): visit_survey,
    ("POST", "/api/v1/visits/{visit_id}/claim"): visit_claim,
    ("POST", "/api/v1/tickets/{ticket_id}/self-check"): self_check,
    ("POST", "/console/jobs/{ticket_id}/self-check"): console_self_check,
    ("POST", "/api/v1/quality/samples"): draw_sample,
    ("POST", "/api/v1/quality/inspections/{inspection_id}/submit"): submit_inspection,
    ("POST", "/api/v1/quality/rectifications/{rectification_id}/done"): complete_rectification,
    ("POST", "/api/v1/compensations"): propose_compensation,
    ("POST", "/api/v1/compensations/{compensation_id}/{decision}"): decide_compensation,
    ("POST", "/console/login"): console_login_scenario,
    ("POST", "/console/logout"): console_logout,
    ("POST", "/console/admin/users/new"): console_admin_create_user,
    ("POST", "/console/admin/users/{user_id}"): console_admin_update_user,
    ("POST", "/console/admin/users/{user_id}/password"): console_admin_reset_password,
    ("POST", "/console/admin/users/{user_id}/disable"): console_admin_disable_user,
    ("POST", "/console/admin/users/{user_id}/enable"): console_admin_enable_user,
    ("POST", "/console/admin/organisations/new"): console_admin_create_organisation,
    ("POST", "/console/admin/organisations/{organisation_id}"): console_admin_update_organisation,
    ("POST", "/console/tickets/new"): console_new_ticket,
    ("POST", "/console/tickets/{ticket_id}/events"): console_ticket_event,
    ("POST", "/console/tickets/{ticket_id}/comments"): console_ticket_comment,
    ("POST", "/console/tickets/{ticket_id}/solutions"): console_ticket_solution,
    ("POST", "/console/tickets/{ticket_id}/assign"): console_assign,
    ("POST", "/console/tickets/{ticket_id}/auto-dispatch"): console_auto_dispatch,
    ("POST", "/console/tickets/{ticket_id}/edit"): console_edit_ticket,
    ("POST", "/console/tickets/{ticket_id}/candidates/assign"): console_assign_candidate,
    ("POST", "/console/plans"): console_plan,
    ("POST", "/console/jobs/{ticket_id}/events"): console_job_event,
    ("POST", "/console/jobs/{ticket_id}/field"): console_job_field,
    ("POST", "/console/promises/{promise_id}/acknowledge"): console_acknowledge_promise,
    ("POST", "/console/tickets/{ticket_id}/promises"): console_make_promise,
    ("POST", "/console/promises/{promise_id}/fulfil"): console_fulfil_promise,
    ("POST", "/console/tickets/{ticket_id}/appointments"): console_book_appointment,
    ("POST", "/console/visits/{visit_id}/attempts"): console_visit_attempt,
    ("POST", "/console/visits/{visit_id}/survey"): console_visit_survey,
    ("POST", "/console/visits/{visit_id}/claim"): console_visit_claim,
    ("POST", "/console/quality/samples"): console_draw_sample,
    ("POST", "/console/quality/inspections/{inspection_id}"): console_submit_inspection,
    ("POST", "/console/quality/rectifications/{rectification_id}/done"): console_complete_rectification,
    ("POST", "/console/compensation/tickets/{ticket_id}"): console_propose_compensation,
    ("POST", "/console/compensation/{compensation_id}/decision"): console_decide_compensation,
    ("POST", "/survey/{token}"): survey_link,
    ("POST", "/self-service/request"): self_service_request,
    ("POST", "/console/knowledge/new"): console_create_article,
    ("POST", "/console/knowledge/{article_id}/edit"): console_edit_article,
    ("POST", "/console/knowledge/{article_id}/status"): console_article_status,
    ("POST", "/console/bulletins/new"): console_create_bulletin,
    ("POST", "/console/bulletins/{bulletin_id}/edit"): console_edit_bulletin,
    ("POST", "/console/bulletins/{bulletin_id}/publish"): _console_bulletin_move(
        "publish", "bulletin.published", False
    ),
    ("POST", "/console/bulletins/{bulletin_id}/fix"): _console_bulletin_move(
        "fix", "bulletin.fixed", True, note="请升级固件"
    ),
    ("POST", "/console/bulletins/{bulletin_id}/withdraw"): _console_bulletin_move(
        "withdraw", "bulletin.withdrawn", True, confirm="yes"
    ),
}


# --- routes that change no state -------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """A mutating-method route that changes no state: why, the request, and the tables it may still touch
    (none unless said)."""

    reason: str
    request: Callable[[World], httpx.Response]
    status: int
    may_touch: frozenset[str] = frozenset()


def _search(w: World) -> httpx.Response:
    _article(w, status="published")
    return w.api("POST", "/api/v1/knowledge/search", w.admin, json={"query": "指纹锁识别失败"})


def _classify(w: World) -> httpx.Response:
    return w.api("POST", "/api/v1/triage/classify", w.admin, json={"text": "门锁漏电了，很危险"})


def _triage(w: World) -> httpx.Response:
    return w.api("POST", "/api/v1/triage", w.admin, json={"text": "门锁坏了打不开，气死我了"})


def _status_lookup(w: World) -> httpx.Response:
    ticket = _ticket(w)
    return w.form("/self-service/status", {"number": ticket.number, "phone": "13800138000"})


def _language(w: World) -> httpx.Response:
    csrf = w.sign_in(w.admin)
    return w.form("/console/language", {"csrf_token": csrf, "locale": "en"})


def _preview(w: World) -> httpx.Response:
    csrf = w.sign_in(w.admin)
    return w.form("/console/knowledge/preview", {"csrf_token": csrf, "body": "**预览**"})


def _console_try(w: World) -> httpx.Response:
    csrf = w.sign_in(w.admin)
    return w.form("/console/triage/try", {"csrf_token": csrf, "text": "家里热水器漏水了"})


CHANGES_NO_STATE: dict[Route, Reading] = {
    ("POST", "/console/triage/try"): Reading(
        "triage's reading of a text, shown on the console; nothing kept (POST keeps the customer's words out of "
        "addresses and logs)",
        _console_try,
        200,
    ),
    ("POST", "/console/knowledge/preview"): Reading(
        "an article body rendered as it will be shown (Markdown, sanitised); POST because a body can be long",
        _preview,
        200,
    ),
    ("POST", "/api/v1/knowledge/search"): Reading(
        "a search: the question travels in the body, the answer is read from the index", _search, 200
    ),
    ("POST", "/api/v1/triage/classify"): Reading(
        "what the intake rules propose for a text; nothing kept", _classify, 200
    ),
    ("POST", "/api/v1/triage"): Reading("the trained model's reading of a text; nothing kept", _triage, 200),
    ("POST", "/self-service/status"): Reading(
        "a lookup by number and phone (POST keeps the phone out of URLs and logs)", _status_lookup, 200
    ),
    ("POST", "/console/language"): Reading(
        "the signed-in session's display language, a UI preference like a cookie: no business record, no "
        "security event",
        _language,
        303,
        frozenset({"console_sessions"}),
    ),
}


# --- the tests -------------------------------------------------------------------------------------------


@pytest.fixture
def world(client: TestClient, db: Session, clock: FrozenClock) -> World:
    return World(client, db, clock)


def test_every_mutating_route_is_accounted_for(settings: Settings) -> None:
    routes = mutating_routes(create_app(settings))
    assert not set(SCENARIOS) & set(CHANGES_NO_STATE)
    listed = set(SCENARIOS) | set(CHANGES_NO_STATE)
    assert sorted(routes - listed) == [], "mutating routes without an audit scenario"
    assert sorted(listed - routes) == [], "entries for routes that no longer exist"
    tables = {table.name for table in Base.metadata.sorted_tables}
    assert all(reading.reason and reading.may_touch <= tables for reading in CHANGES_NO_STATE.values())


@pytest.mark.parametrize("route", sorted(SCENARIOS), ids=" ".join)
def test_a_state_change_appends_exactly_its_audit_rows(world: World, route: Route) -> None:
    expected = SCENARIOS[route](world)
    assert world.mark is not None, "the scenario made no request"
    assert expected.response.status_code == expected.status, expected.response.text[:2000]
    world.db.expire_all()
    appended = world.db.execute(
        select(AuditEntry.action, AuditEntry.entity_type, AuditEntry.entity_id, AuditEntry.actor_name)
        .where(AuditEntry.id > world.mark)
        .order_by(AuditEntry.id)
    ).all()
    assert sorted(tuple(r) for r in appended) == sorted(expected.rows)


def _tables(db: Session, skip: frozenset[str]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (in primary-key order), but the ones in ``skip``."""
    db.expire_all()
    content = {}
    for table in Base.metadata.sorted_tables:
        if table.name in skip:
            continue
        order = list(table.primary_key.columns) or list(table.columns)
        content[table.name] = [tuple(r) for r in db.execute(select(table).order_by(*order)).all()]
    return content


@pytest.mark.parametrize("route", sorted(CHANGES_NO_STATE), ids=" ".join)
def test_a_route_that_changes_no_state_leaves_every_table_as_it_was(world: World, route: Route) -> None:
    reading = CHANGES_NO_STATE[route]
    before: list[dict[str, list[tuple[Any, ...]]]] = []
    world.on_request = lambda: before.append(_tables(world.db, reading.may_touch))
    response = reading.request(world)
    assert response.status_code == reading.status, response.text[:2000]
    assert world.mark is not None and last_audit_id(world.db) == world.mark
    assert _tables(world.db, reading.may_touch) == before[0]


def test_the_walk_finds_api_and_console_routes(settings: Settings) -> None:
    routes = mutating_routes(create_app(settings))
    assert ("POST", "/api/v1/tickets") in routes and ("POST", "/console/tickets/new") in routes
    assert not any(method == "GET" for method, _ in routes)
