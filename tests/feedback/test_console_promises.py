"""Promises in the console: the panel on the ticket page (list, a form with field-level errors that change
nothing, a confirmed fulfilment), the list every department sees with its filters, the overdue badge on
the job card, and the overdue alert in the owner's inbox after the feedback job."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.config import Settings
from aftersales.core.clock import FrozenClock
from aftersales.feedback import promises, rules
from aftersales.feedback.jobs import feedback_job
from aftersales.feedback.models import Promise
from aftersales.notifications import inbox
from aftersales.notifications.models import OutboxMessage
from aftersales.tickets.enums import TicketKind
from aftersales.tickets.models import Ticket, TicketEvent
from tests import factories
from tests.conftest import console_login, local

HTMX = {"HX-Request": "true"}


@pytest.fixture
def people(db: Session, clock: FrozenClock) -> dict[str, factories.MadeUser]:
    """An agent, a manager who owns promises, an inspector, the assigned technician and another one."""
    made = {
        "agent": factories.user(db, clock=clock, role=Role.AGENT, username="pc_agent", display_name="王客服"),
        "owner": factories.user(db, clock=clock, role=Role.MANAGER, username="pc_owner", display_name="李经理"),
        "inspector": factories.user(db, clock=clock, role=Role.INSPECTOR, username="pc_inspector"),
        "tech": factories.technician(db, clock=clock, username="pc_tech"),
        "other_tech": factories.technician(db, clock=clock, username="pc_other"),
    }
    db.commit()
    return made


def _ticket(db: Session, clock: FrozenClock, **fields: Any) -> Ticket:
    ticket = factories.ticket(db, clock=clock, kind=TicketKind.INSTALLATION, assignee_username="pc_tech", **fields)
    db.commit()
    return ticket


def _promise(
    db: Session, clock: FrozenClock, people: dict[str, factories.MadeUser], ticket: Ticket, **fields: object
) -> Promise:
    values: dict[str, object] = {
        "description": "上门时赠送一根 HDMI 线",
        "due_at": local(2026, 11, 23, 18),
        "owner_username": "pc_owner",
    } | fields
    promise = promises.add_promise(db, clock=clock, actor=people["agent"].actor, ticket_id=ticket.id, **values)  # type: ignore[arg-type]
    db.commit()
    return promise


def _audit_count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(AuditEntry)) or 0


@pytest.mark.parametrize(
    ("status", "hours_to_due", "acknowledged", "state"),
    [
        ("open", 2, False, "open"),
        ("open", 2, True, "acknowledged"),
        ("open", 0, False, "overdue"),
        ("open", -1, True, "overdue"),
        ("fulfilled", -1, True, "fulfilled"),
        ("cancelled", 2, False, "cancelled"),
    ],
)
def test_how_a_promise_stands(status: str, hours_to_due: int, acknowledged: bool, state: str) -> None:
    now = local(2026, 11, 22, 10)
    due = now + timedelta(hours=hours_to_due)
    assert rules.promise_state(status=status, due_at=due, acknowledged=acknowledged, now=now) == state


def test_an_agent_makes_a_promise_on_the_ticket_panel(
    client: TestClient, db: Session, clock: FrozenClock, people: dict[str, factories.MadeUser]
) -> None:
    ticket = _ticket(db, clock)
    csrf = console_login(client, db, "pc_agent")
    url = f"/console/tickets/{ticket.id}/promises"
    empty = client.get(url, headers=HTMX)
    assert empty.status_code == 200 and "<html" not in empty.text
    assert "暂无承诺事项" in empty.text
    owners = re.findall(r'<option value="([^"]+)"', empty.text)
    # Office staff and the ticket's own technician; never a technician who is not on the ticket.
    assert {"pc_agent", "pc_owner", "pc_inspector", "pc_tech"} <= set(owners) and "pc_other" not in owners
    assert 'value="2026-11-23T10:00"' in empty.text  # due tomorrow by default (local time)
    data = {
        "csrf_token": csrf,
        "description": "明天下午前寄出替换面板",
        "due_at": "2026-11-23T18:00",
        "owner": "pc_owner",
        "departments": ["warehouse", "logistics"],
    }
    made = client.post(url, data=data, headers=HTMX)
    assert made.status_code == 200, made.text
    assert "承诺已登记，已通知负责人" in made.text and "明天下午前寄出替换面板" in made.text
    assert 'data-state="open"' in made.text and "李经理" in made.text and "仓储、物流配送" in made.text
    stored = db.scalars(select(Promise).where(Promise.ticket_id == ticket.id)).one()
    assert (stored.due_at, stored.owner_id, stored.departments, stored.created_by) == (
        local(2026, 11, 23, 18),
        people["owner"].user.id,
        ["warehouse", "logistics"],
        "pc_agent",
    )
    note = db.scalar(select(TicketEvent.note).where(TicketEvent.ticket_id == ticket.id, TicketEvent.type == "promise"))
    assert note == "承诺：明天下午前寄出替换面板（负责人 李经理，11月23日 18:00 前，仓储、物流配送）"
    told = db.execute(
        select(OutboxMessage.recipient_user_id).where(
            OutboxMessage.kind == "promise_assigned", OutboxMessage.ticket_id == ticket.id
        )
    ).scalars()
    assert list(told) == [people["owner"].user.id]
    # Without HTMX the form answers with a redirect to the ticket page.
    plain = client.post(url, data={**data, "description": "再送一个备用钥匙"}, follow_redirects=False)
    assert (plain.status_code, plain.headers["location"]) == (303, f"/console/tickets/{ticket.id}")


def test_bad_input_is_shown_by_its_field_and_changes_nothing(
    client: TestClient, db: Session, clock: FrozenClock, people: dict[str, factories.MadeUser]
) -> None:
    ticket = _ticket(db, clock)
    csrf = console_login(client, db, "pc_agent")
    url = f"/console/tickets/{ticket.id}/promises"
    good = {"csrf_token": csrf, "description": "寄出替换面板", "due_at": "2026-11-23T18:00", "owner": "pc_owner"}
    audits = _audit_count(db)
    for change, field, problem in (
        ({"due_at": "明天"}, "promise-due", "请按 年-月-日 时:分 填写期限"),
        ({"due_at": "2026-11-22T09:30"}, "promise-due", "期限必须晚于现在"),
        ({"description": "  "}, "promise-description", "承诺内容须为 1 到 500 字"),
        ({"owner": "nobody"}, "promise-owner", "请选择负责人"),
        ({"owner": "pc_other"}, "promise-owner", "请选择负责人"),  # a technician not on the ticket
        ({"departments": "marketing"}, "promise-departments", "未知的部门：marketing"),
    ):
        reply = client.post(url, data={**good, **change}, headers=HTMX)
        assert reply.status_code == 422, (change, reply.text)
        assert f'<p class="field-error" id="{field}-error">{problem}</p>' in reply.text, change
        typed = change.get("description", "寄出替换面板").strip()
        assert typed in reply.text or not typed  # what was typed is kept
    assert db.scalar(select(func.count()).select_from(Promise)) == 0
    assert db.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind.like("promise%"))) == 0
    assert _audit_count(db) == audits
    # A technician may not make promises; the page says so and nothing changes.
    other = TestClient(client.app)
    tech_csrf = console_login(other, db, "pc_tech")
    refused = other.post(url, data={**good, "csrf_token": tech_csrf}, follow_redirects=False)
    assert refused.status_code == 403 and "您的角色无权访问此页面" in refused.text
    assert db.scalar(select(func.count()).select_from(Promise)) == 0


def test_fulfilment_is_confirmed_in_its_own_step_and_a_second_one_is_refused(
    client: TestClient, db: Session, clock: FrozenClock, people: dict[str, factories.MadeUser]
) -> None:
    ticket = _ticket(db, clock)
    promise = _promise(db, clock, people, ticket)
    csrf = console_login(client, db, "pc_owner")
    panel = client.get(f"/console/tickets/{ticket.id}/promises", headers=HTMX).text
    # The button sits behind a <details> disclosure: opening it is the confirmation step.
    assert re.search(r"<details>\s*<summary>兑现</summary>", panel)
    assert f'hx-post="/console/promises/{promise.id}/fulfil"' in panel
    url = f"/console/promises/{promise.id}/fulfil"
    kept = client.post(url, data={"csrf_token": csrf, "note": "已随车送达"}, headers=HTMX)
    assert kept.status_code == 200 and "承诺已兑现，已记入时间线" in kept.text
    assert f'data-promise="{promise.id}" data-state="fulfilled"' in kept.text and url not in kept.text
    db.expire_all()
    assert (promise.status, promise.fulfilled_by) == ("fulfilled", "pc_owner")
    notes = db.scalars(
        select(TicketEvent.note).where(TicketEvent.ticket_id == ticket.id, TicketEvent.type == "promise_fulfilled")
    )
    assert list(notes) == ["承诺已兑现：上门时赠送一根 HDMI 线（已随车送达）"]
    audits = _audit_count(db)
    again = client.post(url, data={"csrf_token": csrf}, headers=HTMX)
    assert again.status_code == 409 and "承诺已结束" in again.text
    assert _audit_count(db) == audits


def test_every_department_sees_the_open_promises_with_filters(
    client: TestClient, db: Session, clock: FrozenClock, people: dict[str, factories.MadeUser]
) -> None:
    first = _ticket(db, clock)
    second = _ticket(db, clock, phone="13900001111")
    later = _promise(db, clock, people, first, description="寄出替换面板", departments=["warehouse"])
    soon = _promise(
        db, clock, people, second, description="两小时内回电", due_at=local(2026, 11, 22, 12), owner_username="pc_agent"
    )
    kept = _promise(db, clock, people, first, description="赠送电池", departments=["warehouse"])
    promises.fulfil(db, clock=clock, actor=people["owner"].actor, promise_id=kept.id)
    db.commit()
    clock.advance(timedelta(hours=3))  # 13:00: the call-back is overdue

    def listed(page: str) -> list[tuple[str, str]]:
        return re.findall(r'<tr data-promise="(\d+)" data-state="([a-z]+)">', page)

    csrf = console_login(client, db, "pc_inspector")  # quality sees them too, without the buttons
    board = client.get("/console/promises")
    assert board.status_code == 200
    assert listed(board.text) == [(str(soon.id), "overdue"), (str(later.id), "open")]
    assert f'<a href="/console/tickets/{second.id}">{second.number}</a>' in board.text
    assert "/fulfil" not in board.text and "未兑现 2 条" in board.text
    assert listed(client.get("/console/promises?view=overdue").text) == [(str(soon.id), "overdue")]
    assert listed(client.get("/console/promises?department=warehouse").text) == [(str(later.id), "open")]
    assert listed(client.get("/console/promises?view=mine").text) == []
    assert listed(client.get("/console/promises?view=nonsense&department=nowhere").text) == listed(board.text)
    del csrf
    agent = TestClient(client.app)
    agent_csrf = console_login(agent, db, "pc_agent")
    mine = agent.get("/console/promises?view=mine")
    assert listed(mine.text) == [(str(soon.id), "overdue")]
    here = "/console/promises?view=mine&page=1"
    assert f'name="next" value="{here.replace("&", "&amp;")}"' in mine.text
    done = agent.post(
        f"/console/promises/{soon.id}/fulfil", data={"csrf_token": agent_csrf, "next": here}, follow_redirects=False
    )
    assert (done.status_code, done.headers["location"]) == (303, f"{here}&done=1")
    after = agent.get(f"{here}&done=1").text
    assert "承诺已兑现，已记入时间线" in after and listed(after) == []
    technician = TestClient(client.app)
    console_login(technician, db, "pc_tech")
    assert technician.get("/console/promises").status_code == 403


def test_an_overdue_promise_reaches_the_owners_inbox_and_the_job_card(
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    settings: Settings,
    session_factory: sessionmaker[Session],
    people: dict[str, factories.MadeUser],
) -> None:
    ticket = _ticket(db, clock)
    promise = _promise(db, clock, people, ticket, due_at=local(2026, 11, 22, 12))
    assert feedback_job(session_factory, clock, settings)["promise_alerts"] == 0
    clock.set(local(2026, 11, 22, 12, 5))
    assert feedback_job(session_factory, clock, settings)["promise_alerts"] == 1
    owner_id = people["owner"].user.id
    found = inbox.list_inbox(db, user_id=owner_id)
    alerts = [message for message in found.messages if message.kind == "promise_alert"]
    assert [(m.ticket_id, m.subject, m.read_at) for m in alerts] == [
        (ticket.id, f"工单 {ticket.number} 的承诺超过期限仍未确认", None)
    ]
    assert feedback_job(session_factory, clock, settings)["promise_alerts"] == 0  # one alert, not one a minute
    console_login(client, db, "pc_owner")
    page = client.get("/console/inbox").text
    assert 'data-kind="promise_alert"' in page and f'href="/console/tickets/{ticket.id}"' in page
    card = TestClient(client.app)
    console_login(card, db, "pc_tech")
    job = card.get(f"/console/jobs/{ticket.id}").text
    row = job[job.index(f'data-promise="{promise.id}"') :]
    assert "已逾期" in row[: row.index("</li>")] and f"/console/promises/{promise.id}/acknowledge" in row
