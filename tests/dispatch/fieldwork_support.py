"""Set-up shared by the job-flow tests: a small network (in-house technicians, two partner providers, a
dispatcher) and helpers to open and assign a job (factories) and drive it through the API."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.enums import OrganisationKind, Role
from aftersales.accounts.schemas import SYSTEM_ACTOR, Actor
from aftersales.core.clock import FrozenClock
from aftersales.dispatch.fieldwork.models import ConfirmationCode
from aftersales.dispatch.network import service as dispatch_service
from aftersales.notifications import service as notifications_service
from aftersales.tickets.enums import Priority, TicketKind
from aftersales.tickets.models import TicketAttachment, TicketEvent
from tests import factories
from tests.conftest import UserFactory
from tests.images import png

PNG = png()
PNG_BASE64 = base64.b64encode(PNG).decode()


@dataclass
class World:
    actors: dict[str, Actor]
    tokens: dict[str, str]

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}


def make_world(db: Session, clock: FrozenClock, make_user: UserFactory) -> World:
    """HQ with a dispatcher, an agent and two technicians; providers SZ-P (two users) and GZ-P (one)."""
    accounts_service.create_organisation(
        db, clock=clock, actor=SYSTEM_ACTOR, code="HQ", name="总部", kind=OrganisationKind.HQ
    )
    for code, name in (("SZ-P", "安居服务商"), ("GZ-P", "羊城服务商")):
        accounts_service.create_organisation(
            db, clock=clock, actor=SYSTEM_ACTOR, code=code, name=name, kind=OrganisationKind.PROVIDER, parent_code="HQ"
        )
    actors, tokens = {}, {}
    for username, role, organisation in (
        ("agent_f", Role.AGENT, "HQ"),
        ("disp_f", Role.DISPATCHER, "HQ"),
        ("tech_a", Role.TECHNICIAN, "HQ"),
        ("tech_b", Role.TECHNICIAN, "HQ"),
        ("prov_a1", Role.PROVIDER, "SZ-P"),
        ("prov_a2", Role.PROVIDER, "SZ-P"),
        ("prov_b1", Role.PROVIDER, "GZ-P"),
    ):
        actors[username], tokens[username] = make_user(role, username=username, organisation_code=organisation)
    dispatch_service.set_technician(
        db, user_id=actors["tech_a"].user_id or 0, longitude=113.9, latitude=22.5, skills=["lock:repair"]
    )
    db.commit()
    return World(actors, tokens)


def open_job(db: Session, clock: FrozenClock, world: World, assignee: str | None = "tech_a", **fields: Any) -> int:
    """An urgent repair (on site within 2 h) the agent registered and the dispatcher assigned, committed.
    ``fields`` go to the ticket factory (customer_name, phone, address …)."""
    ticket = factories.ticket(
        db, clock=clock, actor=world.actors["agent_f"], kind=TicketKind.REPAIR, priority=Priority.URGENT, **fields
    )
    if assignee is not None:
        factories.assign(db, clock=clock, ticket_id=ticket.id, assignee_username=assignee, actor=world.actors["disp_f"])
    db.commit()
    return ticket.id


def step(
    client: TestClient, world: World, username: str, ticket_id: int, name: str, body: dict[str, Any] | None = None
) -> Any:
    """POST one step of the job flow as ``username``."""
    return client.post(f"/api/v1/jobs/{ticket_id}/{name}", json=body or {}, headers=world.headers(username))


def counts(db: Session, ticket_id: int) -> tuple[int, int, int]:
    """(timeline events, attachments, confirmation codes) of a ticket, read afresh."""
    db.expire_all()
    return (
        db.scalar(select(func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id == ticket_id)) or 0,
        db.scalar(select(func.count()).select_from(TicketAttachment).where(TicketAttachment.ticket_id == ticket_id))
        or 0,
        db.scalar(select(func.count()).select_from(ConfirmationCode).where(ConfirmationCode.ticket_id == ticket_id))
        or 0,
    )


def event_types(db: Session, ticket_id: int) -> list[str]:
    db.expire_all()
    return list(
        db.scalars(
            select(TicketEvent.type).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.at, TicketEvent.id)
        )
    )


def sent_code(db: Session, ticket_id: int) -> str:
    """The code in the latest confirmation SMS of the ticket (as the customer reads it)."""
    db.expire_all()
    messages = notifications_service.list_outbox(db, ticket_id=ticket_id, kind="confirmation_code")
    match = re.search(r"确认码为 (\d{6})", messages[-1].body)
    assert match is not None, messages[-1].body
    return match.group(1)
