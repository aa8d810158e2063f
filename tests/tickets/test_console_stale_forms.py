"""A lifecycle form drawn before a change that left the status alone still works; one drawn before the
status moved is refused with nothing changed."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import FrozenClock
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import EventType
from aftersales.tickets.models import Ticket, TicketEvent
from tests import factories
from tests.conftest import UserFactory, console_login


def _events(db: Session, ticket_id: int) -> list[str]:
    return list(db.scalars(select(TicketEvent.type).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)))


def test_a_change_that_keeps_the_status_does_not_refuse_the_next_step(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="stale1")
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "stale1")
    # The page was drawn at version 1; then the ticket changed without moving (e.g. the dispatch decision).
    tickets_service.update_ticket(
        db, clock=clock, actor=SYSTEM_ACTOR, ticket_id=ticket.id, version=1, description="客户补充：下午在家"
    )
    db.commit()
    assert db.get(Ticket, ticket.id).version == 2  # type: ignore[union-attr]
    reply = client.post(
        f"/console/tickets/{ticket.id}/events",
        data={"csrf_token": csrf, "type": "contact", "version": 1, "status": "registered"},
        headers={"HX-Request": "true"},
    )
    assert reply.status_code == 200, reply.text
    assert _events(db, ticket.id) == ["register", "update", "contact"]


def test_a_form_drawn_before_the_status_moved_changes_nothing(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="stale2")
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "stale2")
    tickets_service.apply_event(db, clock=clock, actor=SYSTEM_ACTOR, ticket_id=ticket.id, event_type=EventType.CONTACT)
    db.commit()
    reply = client.post(
        f"/console/tickets/{ticket.id}/events",
        data={"csrf_token": csrf, "type": "progress", "version": 1, "status": "registered"},
    )
    assert reply.status_code == 409 and "工单已被他人修改" in reply.text
    assert _events(db, ticket.id) == ["register", "contact"]
    assert db.get(Ticket, ticket.id).status == "in_progress"  # type: ignore[union-attr]
