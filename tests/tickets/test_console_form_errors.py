"""A refused console form answers with the error's status: HTMX gets the fragment it swaps (the ticket's
panel again, or the message into the form's message area), a plain post gets the page again; nothing
changes. The base page lets HTMX swap those 4xx answers."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.core.clock import FrozenClock
from aftersales.tickets.models import Ticket, TicketComment, TicketEvent
from tests import factories
from tests.conftest import UserFactory, console_login

HTMX = {"HX-Request": "true"}


def _events(db: Session, ticket_id: int) -> list[str]:
    return list(db.scalars(select(TicketEvent.type).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)))


def test_a_step_the_lifecycle_refuses_redraws_the_panel_with_409_for_htmx_and_the_page_otherwise(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="form1")
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "form1")
    data = {"csrf_token": csrf, "type": "close", "version": 1, "status": "registered"}
    page = client.get(f"/console/tickets/{ticket.id}").text
    assert '<meta name="htmx-config"' in page and '{"code": "4..", "swap": true}' in page

    fragment = client.post(f"/console/tickets/{ticket.id}/events", data=data, headers=HTMX)
    assert fragment.status_code == 409
    assert fragment.text.lstrip().startswith('<div id="ticket"') and "<html" not in fragment.text
    assert "工单状态为「已登记」时不能执行「闭环」" in fragment.text  # the labels, not the stored values
    assert "hx-retarget" not in fragment.headers  # the panel replaces itself (its form's hx-target)

    full = client.post(f"/console/tickets/{ticket.id}/events", data=data)
    assert full.status_code == 409 and "<html" in full.text and "工单状态为「已登记」时不能执行「闭环」" in full.text
    assert _events(db, ticket.id) == ["register"]


def test_an_empty_comment_is_422_with_the_panel_and_saves_nothing(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="form2")
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "form2")
    reply = client.post(f"/console/tickets/{ticket.id}/comments", data={"csrf_token": csrf, "body": " "}, headers=HTMX)
    assert reply.status_code == 422 and '<div id="ticket"' in reply.text and "评论不能为空" in reply.text
    assert db.scalar(select(TicketComment.id).where(TicketComment.ticket_id == ticket.id)) is None


def test_a_refused_assignment_goes_to_the_rows_message_area(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.DISPATCHER, username="form3")
    make_user(Role.AGENT, username="form4")
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "form3")
    data = {"csrf_token": csrf, "assignee": "form4", "version": 1}
    reply = client.post(f"/console/tickets/{ticket.id}/assign", data=data, headers=HTMX)
    assert reply.status_code == 409
    assert (reply.headers["hx-retarget"], reply.headers["hx-reswap"]) == (f"#assign-result-{ticket.id}", "innerHTML")
    assert reply.text.strip() == (
        '<p class="flash error" role="alert" data-status="409">请选择可派单的技术员或服务商</p>'
    )
    assert db.scalar(select(Ticket.assignee_id).where(Ticket.id == ticket.id)) is None


def test_an_htmx_request_refused_outside_a_form_shows_in_the_pages_message_area(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="form5")
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "form5")
    data = {"csrf_token": csrf, "assignee": "nobody", "version": 1}
    reply = client.post(f"/console/tickets/{ticket.id}/assign", data=data, headers=HTMX)  # not an agent's page
    assert reply.status_code == 403
    assert (reply.headers["hx-retarget"], reply.headers["hx-reswap"]) == ("#messages", "innerHTML")
    assert "您的角色无权访问此页面" in reply.text and "<html" not in reply.text
    missing = client.post("/console/tickets/999999/comments", data={"csrf_token": csrf, "body": "x"}, headers=HTMX)
    assert missing.status_code == 404 and missing.headers["hx-retarget"] == "#messages"
    assert "找不到该记录，或您无权查看" in missing.text


def test_the_refusal_is_in_the_readers_language(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="form6")
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    client.cookies.set("as_lang", "en")
    csrf = console_login(client, db, "form6")
    data = {"csrf_token": csrf, "type": "close", "version": 1, "status": "registered"}
    reply = client.post(f"/console/tickets/{ticket.id}/events", data=data, headers=HTMX)
    assert reply.status_code == 409 and "A ticket that is “Registered” cannot “Close”" in reply.text
    empty = client.post(f"/console/tickets/{ticket.id}/comments", data={"csrf_token": csrf, "body": ""}, headers=HTMX)
    assert empty.status_code == 422 and "The comment cannot be empty." in empty.text
