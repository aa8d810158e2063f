"""Test data builders, one per aggregate, made through the services (never through HTTP).

Plain functions with keyword-only arguments and Chinese defaults. Each flushes and none commits: the
test's unit of work (the rolled-back outer transaction of ``tests/conftest.py``) owns the data. Nothing
runs at import time and nothing here depends on pytest, so any test module (or a benchmark) may import it.

    tree = organisation_tree(db, clock=clock)
    tech = user(db, clock=clock, role=Role.TECHNICIAN, organisation_code=tree.service_center.code)
    job = ticket(db, clock=clock, priority=Priority.URGENT)
    done = ticket_in_status(db, clock=clock, status=TicketStatus.CLOSED)
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.enums import OrganisationKind, Role
from aftersales.accounts.models import Organisation, User
from aftersales.accounts.schemas import SYSTEM_ACTOR, Actor
from aftersales.core.clock import Clock, FrozenClock
from aftersales.customers import service as customers_service
from aftersales.customers.models import Customer
from aftersales.sla import service as sla_service
from aftersales.sla.models import Policy
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import Channel, EventType, Priority, TicketKind, TicketStatus
from aftersales.tickets.models import Ticket
from aftersales.tickets.schemas import TicketCreate
from aftersales.usecases import intake as intake_flows

SHANGHAI = ZoneInfo("Asia/Shanghai")
PASSWORD = "secret-pass-1"

CUSTOMER_NAME = "张三"
CUSTOMER_PHONE = "13800138000"
CUSTOMER_ADDRESS = "广东省深圳市南山区科技园南区高新南七道1号"
PRODUCT_MODEL = "YL-S7"
SERIAL_NUMBER = "SN-0001"
DESCRIPTION = "指纹锁识别失败，需要上门维修"

DISPLAY_NAMES: dict[Role, str] = {
    Role.ADMIN: "系统管理员",
    Role.AGENT: "客服王芳",
    Role.DISPATCHER: "调度李强",
    Role.TECHNICIAN: "师傅张伟",
    Role.MANAGER: "主管刘洋",
    Role.INSPECTOR: "质检陈静",
    Role.PROVIDER: "服务商赵磊",
    Role.CUSTOMER: "客户孙丽",
}

# The shortest lifecycle walk from "registered" to each status (see aftersales.tickets.rules.TRANSITIONS).
LIFECYCLE_PATHS: dict[TicketStatus, tuple[EventType, ...]] = {
    TicketStatus.REGISTERED: (),
    TicketStatus.IN_PROGRESS: (EventType.CONTACT,),
    TicketStatus.ON_HOLD: (EventType.CONTACT, EventType.HOLD),
    TicketStatus.RESOLVED: (EventType.CONTACT, EventType.RESULT),
    TicketStatus.VISITED: (EventType.CONTACT, EventType.RESULT, EventType.RETURN_VISIT),
    TicketStatus.CLOSED: (EventType.CONTACT, EventType.RESULT, EventType.RETURN_VISIT, EventType.CLOSE),
    TicketStatus.CANCELLED: (EventType.CANCEL,),
}

# Unique default usernames across a test run (tests that assert on a name pass their own).
_serial = itertools.count(1)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware datetime in Asia/Shanghai."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


# --- accounts ---------------------------------------------------------------------------------------


def organisation(
    session: Session,
    *,
    clock: Clock,
    code: str,
    name: str,
    kind: OrganisationKind,
    parent_code: str | None = None,
    city: str | None = None,
    actor: Actor = SYSTEM_ACTOR,
) -> Organisation:
    """One node of the organisation tree (accounts service)."""
    return accounts_service.create_organisation(
        session, clock=clock, actor=actor, code=code, name=name, kind=kind, parent_code=parent_code, city=city
    )


@dataclass(frozen=True)
class OrganisationTree:
    """HQ → region → (service center, partner provider)."""

    hq: Organisation
    region: Organisation
    service_center: Organisation
    provider: Organisation


def organisation_tree(
    session: Session, *, clock: Clock, prefix: str = "", city: str = "上海", actor: Actor = SYSTEM_ACTOR
) -> OrganisationTree:
    """A four-node tree; ``prefix`` keeps the codes of a second tree in the same test apart."""
    hq = organisation(session, clock=clock, actor=actor, code=f"{prefix}HQ", name="总部", kind=OrganisationKind.HQ)
    region = organisation(
        session,
        clock=clock,
        actor=actor,
        code=f"{prefix}EAST",
        name="华东大区",
        kind=OrganisationKind.REGION,
        parent_code=hq.code,
        city=city,
    )
    service_center = organisation(
        session,
        clock=clock,
        actor=actor,
        code=f"{prefix}SC-{city}",
        name=f"{city}服务中心",
        kind=OrganisationKind.SERVICE_CENTER,
        parent_code=region.code,
        city=city,
    )
    provider = organisation(
        session,
        clock=clock,
        actor=actor,
        code=f"{prefix}SP-{city}",
        name=f"{city}安居服务商",
        kind=OrganisationKind.PROVIDER,
        parent_code=region.code,
        city=city,
    )
    return OrganisationTree(hq=hq, region=region, service_center=service_center, provider=provider)


@dataclass(frozen=True)
class MadeUser:
    """A user as created, the Actor to act as, and (when asked for) a plain API token."""

    user: User
    actor: Actor
    token: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        """Bearer headers for the API client."""
        assert self.token is not None, "create the user with with_token=True"
        return {"Authorization": f"Bearer {self.token}"}


def user(
    session: Session,
    *,
    clock: Clock,
    role: Role = Role.AGENT,
    username: str | None = None,
    display_name: str | None = None,
    organisation_code: str | None = None,
    supervisor_username: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    password: str | None = PASSWORD,
    with_token: bool = False,
    actor: Actor = SYSTEM_ACTOR,
) -> MadeUser:
    """A user of ``role`` (accounts service), optionally with an API token."""
    name = username or f"{role.value}_{next(_serial):04d}"
    created = accounts_service.create_user(
        session,
        clock=clock,
        actor=actor,
        username=name,
        role=role,
        password=password,
        display_name=display_name or DISPLAY_NAMES[role],
        organisation_code=organisation_code,
        supervisor_username=supervisor_username,
        email=email,
        phone=phone,
    )
    token = None
    if with_token:
        _, token = accounts_service.create_token(session, clock=clock, actor=actor, username=name)
    return MadeUser(user=created, actor=accounts_service.actor_for(created), token=token)


# --- customers --------------------------------------------------------------------------------------


def customer(
    session: Session,
    *,
    clock: Clock,
    name: str = CUSTOMER_NAME,
    phone: str = CUSTOMER_PHONE,
    address: str | None = CUSTOMER_ADDRESS,
    product_model: str | None = PRODUCT_MODEL,
    serial_number: str | None = SERIAL_NUMBER,
    purchase_date: date | None = None,
) -> Customer:
    """A customer recognised by phone, with an address and an installed product (customers service)."""
    found, _ = customers_service.find_or_create_customer(session, clock=clock, name=name, phone=phone)
    if address is not None:
        customers_service.add_address(session, clock=clock, customer=found, raw=address)
    if product_model is not None:
        customers_service.register_product(
            session,
            clock=clock,
            customer=found,
            model=product_model,
            serial_number=serial_number,
            purchase_date=purchase_date,
        )
    # The rows above were written by Core statements: let the collections load afresh.
    session.expire(found, ["addresses", "products"])
    return found


# --- tickets ----------------------------------------------------------------------------------------


def ticket_request(
    *,
    kind: TicketKind | None = TicketKind.REPAIR,
    priority: Priority | None = Priority.ROUTINE,
    channel: Channel = Channel.HOTLINE,
    customer_name: str = CUSTOMER_NAME,
    phone: str = CUSTOMER_PHONE,
    address: str | None = CUSTOMER_ADDRESS,
    product_model: str | None = PRODUCT_MODEL,
    serial_number: str | None = SERIAL_NUMBER,
    purchase_date: date | None = None,
    description: str = DESCRIPTION,
    reported_at: datetime | None = None,
    external_id: str | None = None,
) -> TicketCreate:
    """A validated intake request. Kind and priority are given, so triage is skipped unless set to None."""
    product: dict[str, Any] | None = None
    if product_model is not None:
        product = {"model": product_model, "serial_number": serial_number, "purchase_date": purchase_date}
    return TicketCreate.model_validate(
        {
            "kind": kind,
            "priority": priority,
            "channel": channel,
            "customer": {"name": customer_name, "phone": phone, "address": address},
            "product": product,
            "description": description,
            "reported_at": reported_at,
            "external_id": external_id,
        }
    )


def ticket(
    session: Session,
    *,
    clock: Clock,
    actor: Actor = SYSTEM_ACTOR,
    request: TicketCreate | None = None,
    notify: bool = True,
    **fields: Any,
) -> Ticket:
    """A registered ticket through the intake use case, loaded. ``fields`` go to :func:`ticket_request`."""
    if request is None:
        request = ticket_request(**fields)
    elif fields:
        raise TypeError("pass either request or request fields, not both")
    opened, _ = intake_flows.open_ticket(session, clock=clock, actor=actor, request=request, notify=notify)
    return tickets_service.get_ticket(session, opened.id)


def walk(
    session: Session,
    *,
    clock: Clock,
    ticket_id: int,
    events: Sequence[EventType],
    actor: Actor = SYSTEM_ACTOR,
    spacing: timedelta | None = None,
    note: str | None = None,
) -> Ticket:
    """Apply lifecycle events in order (tickets service); with ``spacing`` the frozen clock moves first."""
    current = tickets_service.get_ticket(session, ticket_id)
    for event in events:
        if spacing is not None:
            assert isinstance(clock, FrozenClock), "spacing needs a FrozenClock"
            clock.advance(spacing)
        current = tickets_service.apply_event(
            session, clock=clock, actor=actor, ticket_id=ticket_id, event_type=event, note=note
        )
    return current


def ticket_in_status(
    session: Session,
    *,
    clock: Clock,
    status: TicketStatus,
    actor: Actor = SYSTEM_ACTOR,
    spacing: timedelta | None = None,
    **fields: Any,
) -> Ticket:
    """A ticket opened through intake and walked along the shortest path to ``status``."""
    opened = ticket(session, clock=clock, actor=actor, **fields)
    return walk(session, clock=clock, ticket_id=opened.id, events=LIFECYCLE_PATHS[status], actor=actor, spacing=spacing)


# --- sla --------------------------------------------------------------------------------------------


def sla_policy(
    session: Session,
    *,
    priority: Priority,
    calendar_code: str | None = None,
    first_response_minutes: int | None = None,
    onsite_minutes: int | None = None,
    resolution_minutes: int | None = None,
) -> Policy:
    """The seeded policy of ``priority``, re-pointed or re-timed for this test.

    There is no policy-editing use case yet, so this edits the seeded row (rolled back with the test).
    """
    policy = sla_service.get_policy(session, priority.value)
    if calendar_code is not None:
        policy.calendar_id = sla_service.get_calendar(session, calendar_code).id
    if first_response_minutes is not None:
        policy.first_response_minutes = first_response_minutes
    if onsite_minutes is not None:
        policy.onsite_minutes = onsite_minutes
    if resolution_minutes is not None:
        policy.resolution_minutes = resolution_minutes
    session.flush()
    return policy
