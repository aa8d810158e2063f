"""The shared builders make exactly what they document, through the services, and refuse bad input."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts import tokens as accounts_tokens
from aftersales.accounts.enums import OrganisationKind, Role
from aftersales.accounts.errors import InvalidAccountInputError
from aftersales.core.clock import FrozenClock
from aftersales.core.errors import InvalidInputError
from aftersales.customers.models import Customer
from aftersales.dispatch.network.models import Technician
from aftersales.notifications.models import OutboxMessage
from aftersales.tickets import service as tickets_service
from aftersales.tickets import timeline as ticket_timeline
from aftersales.tickets.enums import Channel, EventType, Priority, TicketKind, TicketStatus
from tests import factories


def test_organisation_tree(db: Session, clock: FrozenClock) -> None:
    tree = factories.organisation_tree(db, clock=clock)
    nodes = (tree.hq, tree.region, tree.service_center, tree.provider)
    assert [(o.code, o.name, o.kind, o.city) for o in nodes] == [
        ("HQ", "总部", OrganisationKind.HQ, None),
        ("EAST", "华东大区", OrganisationKind.REGION, "上海"),
        ("SC-上海", "上海服务中心", OrganisationKind.SERVICE_CENTER, "上海"),
        ("SP-上海", "上海安居服务商", OrganisationKind.PROVIDER, "上海"),
    ]
    assert [o.parent_id for o in nodes] == [None, tree.hq.id, tree.region.id, tree.region.id]
    second = factories.organisation_tree(db, clock=clock, prefix="B-", city="广州")
    assert (second.hq.code, second.service_center.code) == ("B-HQ", "B-SC-广州")


def test_user_with_token_authenticates_as_its_actor(db: Session, clock: FrozenClock) -> None:
    tree = factories.organisation_tree(db, clock=clock)
    made = factories.user(
        db, clock=clock, role=Role.TECHNICIAN, username="tech_zw", organisation_code=tree.service_center.code,
        phone="13700137000", with_token=True,
    )  # fmt: skip
    assert (made.user.username, made.user.display_name, made.user.role) == ("tech_zw", "师傅张伟", Role.TECHNICIAN)
    assert made.actor == accounts_service.actor_for(made.user)
    assert made.actor.organisation_id == tree.service_center.id
    assert made.token is not None and accounts_tokens.authenticate_token(db, made.token, now=clock.now()) == made.actor
    assert made.headers == {"Authorization": f"Bearer {made.token}"}
    assert accounts_service.verify_password(db, username="tech_zw", password=factories.PASSWORD).id == made.user.id


def test_default_usernames_are_unique_and_valid(db: Session, clock: FrozenClock) -> None:
    first, second = (factories.user(db, clock=clock, role=Role.DISPATCHER) for _ in range(2))
    assert first.user.username != second.user.username
    assert first.user.username.startswith("dispatcher_") and first.token is None
    with pytest.raises(AssertionError):
        _ = first.headers


def test_a_bad_user_changes_nothing(db: Session, clock: FrozenClock) -> None:
    before = len(accounts_service.list_audit(db))
    with pytest.raises(InvalidAccountInputError):
        factories.user(db, clock=clock, username="Bad Name")
    assert len(accounts_service.list_audit(db)) == before


def test_customer_with_address_and_product(db: Session, clock: FrozenClock) -> None:
    made = factories.customer(db, clock=clock, purchase_date=date(2026, 1, 5))
    assert (made.name, made.phone) == ("张三", "13800138000")
    assert [(a.raw, a.city) for a in made.addresses] == [(factories.CUSTOMER_ADDRESS, "深圳市")]
    assert [(p.model, p.serial_number, p.purchase_date, p.warranty_end) for p in made.products] == [
        ("YL-S7", "SN-0001", date(2026, 1, 5), date(2027, 1, 5))
    ]
    again = factories.customer(db, clock=clock, name="张三丰")  # a repeat caller keeps the stored name
    assert (again.id, again.name, len(again.addresses), len(again.products)) == (made.id, "张三", 1, 1)
    assert db.scalar(select(func.count()).select_from(Customer)) == 1


def test_ticket_through_intake(db: Session, clock: FrozenClock) -> None:
    made = factories.ticket(db, clock=clock, priority=Priority.URGENT, channel=Channel.WECHAT)
    assert (made.number, made.status, made.kind, made.priority, made.channel, made.version) == (
        "SH20261122-000001",
        TicketStatus.REGISTERED,
        TicketKind.REPAIR,
        Priority.URGENT,
        Channel.WECHAT,
        1,
    )
    assert (made.customer.phone, made.product_model, made.description, made.reported_at, made.triage) == (
        "13800138000",
        "YL-S7",
        factories.DESCRIPTION,
        clock.now(),
        None,  # kind and priority were given: no triage
    )
    with pytest.raises(TypeError):
        factories.ticket(db, clock=clock, request=factories.ticket_request(), priority=Priority.URGENT)


@pytest.mark.parametrize("status", list(TicketStatus))
def test_ticket_in_status_walks_the_shortest_path(db: Session, clock: FrozenClock, status: TicketStatus) -> None:
    start = clock.now()
    made = factories.ticket_in_status(db, clock=clock, status=status, spacing=timedelta(minutes=5))
    steps = factories.LIFECYCLE_PATHS[status]
    assert made.status == status
    assert clock.now() == start + len(steps) * timedelta(minutes=5)
    assert [event.type for event in ticket_timeline.events_of(db, made.id)] == [EventType.REGISTER, *steps]
    assert factories.walk(db, clock=clock, ticket_id=made.id, events=[]).status == status  # no steps: unchanged


def test_ticket_assigned_at_once_and_reassigned(db: Session, clock: FrozenClock) -> None:
    tree = factories.organisation_tree(db, clock=clock)
    first = factories.user(db, clock=clock, role=Role.TECHNICIAN, organisation_code=tree.service_center.code)
    second = factories.user(db, clock=clock, role=Role.PROVIDER, organisation_code=tree.provider.code)
    made = factories.ticket(db, clock=clock, assignee_username=first.user.username)
    assert (made.status, made.assignee_id, made.organisation_id, made.version) == (
        TicketStatus.REGISTERED,
        first.user.id,
        tree.service_center.id,
        2,
    )
    moved = factories.assign(db, clock=clock, ticket_id=made.id, assignee_username=second.user.username)
    assert (moved.assignee_id, moved.organisation_id, moved.version) == (second.user.id, tree.provider.id, 3)
    types = [event.type for event in ticket_timeline.events_of(db, made.id)]
    assert types == [EventType.REGISTER, EventType.ASSIGN, EventType.ASSIGN]


def test_field_network(db: Session, clock: FrozenClock) -> None:
    tree = factories.organisation_tree(db, clock=clock, city="深圳市")
    point = factories.service_point(db, organisation_id=tree.service_center.id)
    assert (point.kind, point.longitude, point.latitude, point.adcodes, point.radius_km) == (
        "service_center",
        *factories.SHENZHEN_CENTER,
        [],
        40,
    )
    by_district = factories.service_point(
        db, organisation_id=tree.provider.id, kind="regional_provider", adcodes=["440305"]
    )
    assert (by_district.adcodes, by_district.radius_km, by_district.opens, by_district.closes) == (
        ["440305"],
        None,
        "08:00",
        "20:00",
    )
    made = factories.technician(
        db, clock=clock, username="tech_a", organisation_code=tree.service_center.code, lunch_break=("12:00", "13:00")
    )
    profile = db.get(Technician, made.user.id)
    assert profile is not None and made.user.role == Role.TECHNICIAN
    assert (profile.home_longitude, profile.home_latitude, profile.skills, profile.days_off) == (
        *factories.NANSHAN,
        ["lock:repair"],
        [],
    )
    assert (profile.shift_start, profile.shift_end, profile.break_start, profile.break_end) == (
        "08:00",
        "18:00",
        "12:00",
        "13:00",
    )
    with pytest.raises(InvalidInputError, match="技能格式"):  # refused as the service refuses it
        factories.technician(db, clock=clock, skills=["locks"])


def test_day_plan_assigns_the_area_jobs(db: Session, clock: FrozenClock) -> None:
    tree = factories.organisation_tree(db, clock=clock, city="深圳市")
    factories.service_point(db, organisation_id=tree.service_center.id)
    tech = factories.technician(db, clock=clock, organisation_code=tree.service_center.code)
    job = factories.ticket(db, clock=clock)
    plan = factories.day_plan(db, clock=clock)
    assert (plan.area, plan.day, plan.status, plan.summary["jobs"], plan.summary["assigned"]) == (
        "深圳市",
        "2026-11-22",
        "active",
        1,
        1,
    )
    db.expire_all()
    assert tickets_service.get_ticket(db, job.id).assignee_id == tech.user.id


def test_return_visit_of_a_resolved_ticket(db: Session, clock: FrozenClock) -> None:
    visit = factories.return_visit(db, clock=clock)
    ticket = tickets_service.get_ticket(db, visit.ticket_id)
    assert (ticket.status, visit.status, visit.attempts, visit.resolution_at) == (
        TicketStatus.RESOLVED,
        "scheduled",
        0,
        ticket.resolved_at,
    )
    invitations = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "visit_invitation")).all()
    assert [(message.ticket_id, message.recipient_address) for message in invitations] == [(ticket.id, "13800138000")]
    assert f"{factories.SURVEY_BASE_URL}/survey/" in invitations[0].body
    assert factories.return_visit(db, clock=clock, ticket_id=ticket.id).id == visit.id  # one visit per result
    unresolved = factories.ticket(db, clock=clock)
    with pytest.raises(AssertionError, match="no result awaiting a visit"):
        factories.return_visit(db, clock=clock, ticket_id=unresolved.id)
