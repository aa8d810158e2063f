"""Saved filters on the console's ticket list: the current filters saved under a name and shown as links
above the list; a refused save is drawn again with the message beside the name, what was typed kept and
nothing saved; deleting asks first; another user's filter is neither shown nor deletable."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.core.clock import FrozenClock
from aftersales.tickets.enums import Priority
from aftersales.tickets.saved_filters.models import SavedFilter
from tests import factories
from tests.conftest import UserFactory, console_login
from tests.usecases.console.ticket_page_support import form_fields


def _state(db: Session) -> tuple[list[tuple[object, ...]], int]:
    db.expire_all()
    rows = db.execute(select(SavedFilter.user_id, SavedFilter.name, SavedFilter.query).order_by(SavedFilter.id)).all()
    return [tuple(row) for row in rows], int(db.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def test_an_agent_saves_the_current_filters_and_reuses_them(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="saver")
    urgent = factories.ticket(db, clock=clock, priority=Priority.URGENT, customer_name="王芳", phone="13900000201")
    routine = factories.ticket(db, clock=clock, customer_name="王芳", phone="13900000201")
    db.commit()
    csrf = console_login(client, db, "saver")
    page = client.get("/console/tickets", params={"priority": "urgent", "q": "王芳", "status": "bogus"})
    assert urgent.number in page.text and routine.number not in page.text
    assert "还没有保存的筛选" in page.text
    fields = form_fields(page.text, "save-filter")
    assert fields == {
        "csrf_token": csrf,
        "status": "",  # not one of the statuses: not applied, not saved
        "priority": "urgent",
        "kind": "",
        "sla_state": "",
        "q": "王芳",
        "name": "",
    }
    saved = client.post("/console/tickets/filters", data=fields | {"name": "我的紧急单"}, follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == "/console/tickets?priority=urgent&q=%E7%8E%8B%E8%8A%B3&done=filter_saved"
    shown = client.get(saved.headers["location"])
    assert "筛选已保存" in shown.text
    link = '<a href="/console/tickets?priority=urgent&amp;q=%E7%8E%8B%E8%8A%B3" aria-current="true">我的紧急单</a>'
    assert link in shown.text
    # Elsewhere in the list the link is there, not marked current, and leads to the same tickets.
    other = client.get("/console/tickets")
    assert '<a href="/console/tickets?priority=urgent&amp;q=%E7%8E%8B%E8%8A%B3">我的紧急单</a>' in other.text
    reused = client.get("/console/tickets?priority=urgent&q=%E7%8E%8B%E8%8A%B3")
    assert urgent.number in reused.text and routine.number not in reused.text
    [row] = db.scalars(select(AuditEntry).where(AuditEntry.action == "ticket_filter.saved")).all()
    assert (row.actor_name, row.after) == (
        "saver",
        {"name": "我的紧急单", "query": "priority=urgent&q=%E7%8E%8B%E8%8A%B3"},
    )


def test_a_refused_save_shows_the_message_keeps_what_was_typed_and_saves_nothing(
    client: TestClient, db: Session, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="saver2")
    db.commit()
    csrf = console_login(client, db, "saver2")
    filters = {"csrf_token": csrf, "status": "", "priority": "urgent", "kind": "repair", "sla_state": "", "q": "漏水"}
    client.post("/console/tickets/filters", data=filters | {"name": "我的紧急单"}, follow_redirects=False)
    before = _state(db)

    empty = client.post("/console/tickets/filters", data=filters | {"name": "  "}, follow_redirects=False)
    assert empty.status_code == 422
    assert re.search(r'<p class="field-error" id="filter-name-error" role="alert">请填写筛选名称</p>', empty.text)
    assert 'id="filter-name" name="name" maxlength="40" value="  "' in empty.text
    assert form_fields(empty.text, "save-filter")["q"] == "漏水" and 'id="q" name="q" value="漏水"' in empty.text

    duplicate = client.post("/console/tickets/filters", data=filters | {"name": "我的紧急单"}, follow_redirects=False)
    assert duplicate.status_code == 422
    assert "已有同名的筛选，请换一个名称" in duplicate.text
    assert 'value="我的紧急单" placeholder' in duplicate.text and 'aria-invalid="true"' in duplicate.text

    nothing = {"csrf_token": csrf, "name": "全部"}
    blank = client.post("/console/tickets/filters", data=nothing, follow_redirects=False)
    assert blank.status_code == 422 and "当前没有任何筛选条件：请先筛选或输入搜索词，再保存" in blank.text
    assert _state(db) == before


def test_deleting_asks_first_and_only_the_owner_may(client: TestClient, db: Session, make_user: UserFactory) -> None:
    make_user(Role.AGENT, username="owner")
    make_user(Role.AGENT, username="stranger")
    db.commit()
    csrf = console_login(client, db, "owner")
    data = {"csrf_token": csrf, "priority": "urgent", "sla_state": "breached", "name": "超时紧急"}
    client.post("/console/tickets/filters", data=data, follow_redirects=False)
    saved = db.scalars(select(SavedFilter)).one()

    # Another agent neither sees nor deletes it.
    stranger_csrf = console_login(client, db, "stranger")
    before = _state(db)
    assert "超时紧急" not in client.get("/console/tickets").text
    assert client.get(f"/console/tickets/filters/{saved.id}/delete").status_code == 404
    refused = client.post(
        f"/console/tickets/filters/{saved.id}/delete", data={"csrf_token": stranger_csrf}, follow_redirects=False
    )
    assert refused.status_code == 404 and _state(db) == before
    assert before[0] == [(saved.user_id, "超时紧急", "priority=urgent&sla_state=breached")]

    csrf = console_login(client, db, "owner")
    before = _state(db)
    listed = client.get("/console/tickets")
    delete_link = f'<a class="muted" href="/console/tickets/filters/{saved.id}/delete">删除<span class="sr-only">筛选“超时紧急”</span></a>'
    assert delete_link in listed.text
    confirm = client.get(f"/console/tickets/filters/{saved.id}/delete")
    assert confirm.status_code == 200
    assert "确定删除筛选“超时紧急”吗？" in confirm.text
    assert "<dt>优先级</dt><dd>紧急</dd>" in confirm.text and "<dt>时限状态</dt><dd>超时</dd>" in confirm.text
    assert _state(db) == before  # asking changes nothing
    deleted = client.post(
        f"/console/tickets/filters/{saved.id}/delete", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert (deleted.status_code, deleted.headers["location"]) == (303, "/console/tickets?done=filter_deleted")
    after = client.get(deleted.headers["location"])
    assert "筛选已删除" in after.text and "超时紧急" not in after.text
    assert _state(db) == ([], before[1] + 1)


def test_who_may_keep_filters(client: TestClient, db: Session, make_user: UserFactory) -> None:
    make_user(Role.TECHNICIAN, username="tech_filters")
    db.commit()
    csrf = console_login(client, db, "tech_filters")
    refused = client.post(
        "/console/tickets/filters", data={"csrf_token": csrf, "name": "我的", "q": "x"}, follow_redirects=False
    )
    assert refused.status_code == 403
    assert _state(db)[0] == []
