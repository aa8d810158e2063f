"""The panel's lifecycle and comment forms: cancel and reopen ask for a confirmation with a reason (an
empty one is refused, nothing changes); a refused or stale form keeps what was typed in every form of the
panel and says what changed; the keyboard shortcuts are declared on the page."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import FrozenClock
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import EventType, TicketKind, TicketStatus
from aftersales.tickets.models import TicketComment, TicketEvent
from tests import factories
from tests.conftest import UserFactory, console_login
from tests.usecases.console.ticket_page_support import HTMX, form_fields, snapshot


def _events(db: Session, ticket_id: int) -> list[tuple[str, str | None]]:
    return [
        (row.type, row.note)
        for row in db.execute(
            select(TicketEvent.type, TicketEvent.note)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(TicketEvent.id)
        )
    ]


def test_cancel_asks_for_a_reason_and_an_empty_one_changes_nothing(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="conf1")
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "conf1")
    page = client.get(f"/console/tickets/{ticket.id}").text
    assert 'value="cancel"' in page and 'aria-describedby="confirm-hint"' in page
    before = snapshot(db, ticket.id)
    data = {"csrf_token": csrf, "type": "cancel", "version": "1", "status": "registered", "note": "客户说不修了"}
    asked = client.post(f"/console/tickets/{ticket.id}/events", data=data | {"body": "备注草稿"}, headers=HTMX)
    assert asked.status_code == 200 and "确认取消工单？" in asked.text
    confirm = form_fields(asked.text, "confirm-form")
    assert (confirm["type"], confirm["confirmed"], confirm["reason"], confirm["note"]) == (
        "cancel",
        "1",
        "客户说不修了",
        "客户说不修了",
    )
    assert "备注草稿" in form_fields(asked.text, "comment-form")["body"]
    assert snapshot(db, ticket.id) == before

    empty = client.post(f"/console/tickets/{ticket.id}/events", data=confirm | {"reason": "  "}, headers=HTMX)
    assert empty.status_code == 422
    assert '<p class="field-error" id="reason-error">请填写取消原因</p>' in empty.text
    assert 'id="confirm-form"' in empty.text  # still the confirmation, nothing recorded
    assert snapshot(db, ticket.id) == before

    plain = client.post(f"/console/tickets/{ticket.id}/events", data=confirm | {"reason": ""}, follow_redirects=False)
    assert plain.status_code == 422 and "<html" in plain.text and "请填写取消原因" in plain.text
    assert snapshot(db, ticket.id) == before

    done = client.post(
        f"/console/tickets/{ticket.id}/events", data=confirm | {"reason": "客户已自行修好"}, headers=HTMX
    )
    assert done.status_code == 200 and "已记录：取消" in done.text
    assert _events(db, ticket.id) == [("register", None), ("cancel", "客户已自行修好")]
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "ticket.cancel")).one()
    assert (audit.actor_name, audit.note) == ("conf1", "客户已自行修好")


def test_declining_the_confirmation_changes_nothing_and_keeps_the_note(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="conf2")
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "conf2")
    before = snapshot(db, ticket.id)
    data = {"csrf_token": csrf, "type": "cancel", "version": "1", "status": "registered", "note": "先别取消"}
    confirm = form_fields(
        client.post(f"/console/tickets/{ticket.id}/events", data=data, headers=HTMX).text, "confirm-form"
    )
    back = client.post(f"/console/tickets/{ticket.id}/events", data=confirm | {"back": "1", "reason": ""}, headers=HTMX)
    assert back.status_code == 200 and 'id="confirm-form"' not in back.text
    assert form_fields(back.text, "event-form")["note"] == "先别取消"
    assert snapshot(db, ticket.id) == before


def test_reopen_is_confirmed_with_its_reason_on_the_timeline(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="conf3")
    ticket = factories.ticket_in_status(db, clock=clock, status=TicketStatus.CLOSED, kind=TicketKind.CONSULTATION)
    db.commit()
    csrf = console_login(client, db, "conf3")
    fields = form_fields(client.get(f"/console/tickets/{ticket.id}").text, "event-form")
    asked = client.post(
        f"/console/tickets/{ticket.id}/events", data=fields | {"csrf_token": csrf, "type": "reopen"}, headers=HTMX
    )
    assert asked.status_code == 200 and "确认重新打开工单？" in asked.text
    confirm = form_fields(asked.text, "confirm-form")
    refused = client.post(f"/console/tickets/{ticket.id}/events", data=confirm, headers=HTMX)
    assert refused.status_code == 422 and "请填写重新打开的原因" in refused.text
    done = client.post(
        f"/console/tickets/{ticket.id}/events", data=confirm | {"reason": "客户来电：又坏了"}, headers=HTMX
    )
    assert done.status_code == 200
    assert _events(db, ticket.id)[-1] == ("reopen", "客户来电：又坏了")


def test_a_confirmation_for_a_ticket_that_moved_meanwhile_is_refused_with_the_reason_kept(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="conf4")
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "conf4")
    data = {"csrf_token": csrf, "type": "cancel", "version": "1", "status": "registered", "note": ""}
    confirm = form_fields(
        client.post(f"/console/tickets/{ticket.id}/events", data=data, headers=HTMX).text, "confirm-form"
    )
    tickets_service.apply_event(db, clock=clock, actor=SYSTEM_ACTOR, ticket_id=ticket.id, event_type=EventType.CONTACT)
    db.commit()
    before = snapshot(db, ticket.id)
    stale = client.post(f"/console/tickets/{ticket.id}/events", data=confirm | {"reason": "客户不需要了"}, headers=HTMX)
    assert stale.status_code == 409 and "工单已被他人修改" in stale.text
    assert '<ul id="changes"><li>状态：已登记 → 处理中</li></ul>' in stale.text
    assert form_fields(stale.text, "event-form")["note"] == "客户不需要了"
    assert snapshot(db, ticket.id) == before


def test_a_stale_step_keeps_the_note_and_the_comment_being_written(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="conf5")
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "conf5")
    tickets_service.apply_event(db, clock=clock, actor=SYSTEM_ACTOR, ticket_id=ticket.id, event_type=EventType.CONTACT)
    db.commit()
    before = snapshot(db, ticket.id)
    data = {"csrf_token": csrf, "type": "progress", "version": "1", "status": "registered"}
    data |= {"note": "已约下午三点上门", "body": "客户要求先电话"}
    stale = client.post(f"/console/tickets/{ticket.id}/events", data=data, headers=HTMX)
    assert stale.status_code == 409 and stale.text.lstrip().startswith('<div id="ticket"')
    assert "状态：已登记 → 处理中" in stale.text and "您填写的内容已保留，请确认后重新提交。" in stale.text
    assert form_fields(stale.text, "event-form")["note"] == "已约下午三点上门"
    assert form_fields(stale.text, "comment-form")["body"] == "客户要求先电话"
    assert snapshot(db, ticket.id) == before
    # Sent again from the redrawn panel (its fresh version and status): recorded.
    # (the browser sends the comment being written along: hx-include)
    again = form_fields(stale.text, "event-form") | {"csrf_token": csrf, "type": "progress", "body": "客户要求先电话"}
    done = client.post(f"/console/tickets/{ticket.id}/events", data=again, headers=HTMX)
    assert done.status_code == 200
    assert _events(db, ticket.id)[-1] == ("progress", "已约下午三点上门")
    assert form_fields(done.text, "event-form")["note"] == ""
    assert form_fields(done.text, "comment-form")["body"] == "客户要求先电话"


def test_a_comment_keeps_the_step_note_being_written_whether_saved_or_refused(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="conf6")
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "conf6")
    page = client.get(f"/console/tickets/{ticket.id}").text
    assert 'hx-include="#event-note, #override-reason"' in page and 'hx-include="#comment-body"' in page
    empty = client.post(
        f"/console/tickets/{ticket.id}/comments", data={"csrf_token": csrf, "body": " ", "note": "联系中"}, headers=HTMX
    )
    assert empty.status_code == 422 and form_fields(empty.text, "event-form")["note"] == "联系中"
    saved = client.post(
        f"/console/tickets/{ticket.id}/comments",
        data={"csrf_token": csrf, "body": "客户下午在家", "internal": "1", "note": "联系中"},
        headers=HTMX,
    )
    assert saved.status_code == 200 and "备注已添加" in saved.text
    assert form_fields(saved.text, "event-form")["note"] == "联系中"
    assert form_fields(saved.text, "comment-form")["body"] == ""
    assert db.scalars(select(TicketComment.body).where(TicketComment.ticket_id == ticket.id)).all() == ["客户下午在家"]


def test_the_page_and_the_list_declare_their_keyboard_shortcuts(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="conf7")
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    console_login(client, db, "conf7")
    page = client.get(f"/console/tickets/{ticket.id}").text
    for declared in ('data-shortcut="e"', 'data-shortcut="n"', 'data-shortcut="c"', 'id="shortcut-help"'):
        assert declared in page
    assert '<script src="/static/js/shortcuts.js?v=' in page
    listing = client.get("/console/tickets").text
    assert 'id="shortcut-help"' in listing and 'role="search"' in listing
    script = client.get("/static/js/shortcuts.js")
    assert script.status_code == 200 and "isTyping" in script.text
