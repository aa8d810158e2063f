"""Agent workbench pages: list with SLA badges, caller lookup, new ticket form, actions, comments, slip."""

from __future__ import annotations

import re
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.core.clock import FrozenClock
from aftersales.customers.models import Customer
from aftersales.feedback.models import ReturnVisit
from aftersales.tickets.enums import Priority, TicketKind
from aftersales.tickets.models import Ticket, TicketComment, TicketEvent
from tests import factories
from tests.conftest import UserFactory, console_login


def _count(db: Session, model: type) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def test_list_shows_masked_phones_and_sla_countdowns(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="agent1")
    created = factories.ticket(db, clock=clock, priority=Priority.URGENT, kind=TicketKind.REPAIR)
    db.commit()
    console_login(client, db, "agent1")
    page = client.get("/console/tickets")
    assert page.status_code == 200
    assert created.number in page.text
    assert "138****8000" in page.text and "13800138000" not in page.text
    # Urgent, registered at 10:00: first contact due 10:30 → 30 minutes left on the frozen clock.
    assert re.search(r'data-sla-state="on_track"[^>]*>首次联系 · 正常 · 剩余 30分钟<', page.text)
    filtered = client.get("/console/tickets?status=closed")
    assert created.number not in filtered.text and "没有符合条件的工单" in filtered.text


def test_a_target_that_came_due_shows_late_before_the_sweep_records_it(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="agent_live")
    created = factories.ticket(db, clock=clock, priority=Priority.URGENT, kind=TicketKind.REPAIR)
    db.commit()
    console_login(client, db, "agent_live")
    clock.advance(timedelta(minutes=25))  # past the 80 % warning of the 30-minute first contact
    fragment = client.get(f"/console/tickets/{created.id}/sla").text
    assert re.search(r'data-sla-state="warning"[^>]*>首次联系 · 预警 · 剩余 5分钟<', fragment), fragment
    clock.advance(timedelta(minutes=7))  # two minutes late; no sweep has run
    fragment = client.get(f"/console/tickets/{created.id}/sla").text
    assert re.search(r'data-sla-state="breached"[^>]*>首次联系 · 超时 · 超时 2分钟<', fragment), fragment
    assert re.search(
        r'data-sla-state="breached"[^>]*>首次联系 · 超时 · 超时 2分钟<', client.get("/console/tickets").text
    )
    db.refresh(created)
    assert [target.state for target in created.sla_targets if target.kind == "first_response"] == ["on_track"]


def test_caller_lookup_marks_a_repeat_caller(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="agent2")
    factories.ticket(db, clock=clock, serial_number="SN-9", purchase_date=date(2026, 1, 10))
    db.commit()
    console_login(client, db, "agent2")
    known = client.get("/console/callers?phone=138-0013-8000")
    assert 'id="repeat-caller" data-ticket-count="1"' in known.text
    assert "回头客" in known.text and "YL-S7" in known.text and "保修期内" in known.text
    unknown = client.get("/console/callers?phone=13900000000")
    assert 'id="new-caller"' in unknown.text and "repeat-caller" not in unknown.text


def test_new_ticket_form_creates_and_opens_the_ticket(client: TestClient, db: Session, make_user: UserFactory) -> None:
    make_user(Role.AGENT, username="agent3")
    csrf = console_login(client, db, "agent3")
    response = client.post(
        "/console/tickets/new",
        data={
            "csrf_token": csrf,
            "phone": "13912345678",
            "name": "王五",
            "address": "上海市浦东新区世纪大道100号",
            "product_model": "YL-S7",
            "channel": "hotline",
            "description": "被锁门外了，门打不开",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    ticket = db.scalars(select(Ticket).where(Ticket.description == "被锁门外了，门打不开")).one()
    assert response.headers["location"] == f"/console/tickets/{ticket.id}?created=1"
    assert (ticket.priority, ticket.channel, ticket.customer.name) == ("urgent", "hotline", "王五")
    page = client.get(response.headers["location"])
    assert "工单已创建" in page.text and ticket.number in page.text


def test_bad_phone_is_shown_next_to_the_field_and_nothing_is_saved(
    client: TestClient, db: Session, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="agent4")
    csrf = console_login(client, db, "agent4")
    before = (_count(db, Ticket), _count(db, Customer))
    response = client.post(
        "/console/tickets/new",
        data={"csrf_token": csrf, "phone": "12345", "name": "赵六", "description": "门锁没电了", "channel": "hotline"},
    )
    assert response.status_code == 422
    assert re.search(r'id="f-phone"[^>]*aria-invalid="true" aria-describedby="phone-error"', response.text)
    assert (
        '<p class="field-error" id="phone-error">请输入有效的手机号（11 位，1 开头）或带区号的固定电话' in response.text
    )
    assert 'value="赵六"' in response.text  # what was typed is kept
    # The typed number is looked up again as the page loads, so the caller panel is not lost either.
    assert 'hx-trigger="input changed delay:400ms, change, load"' in response.text
    assert 'hx-trigger="input changed delay:400ms, change"' in client.get("/console/tickets/new").text
    assert (_count(db, Ticket), _count(db, Customer)) == before


def test_actions_walk_the_lifecycle_and_a_stale_form_changes_nothing(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="agent5")
    # A consultation: the office solves it alone (an on-site kind waits for the check-in, see test_loop_guards).
    ticket_id = factories.ticket(db, clock=clock, kind=TicketKind.CONSULTATION).id
    db.commit()
    csrf = console_login(client, db, "agent5")
    version = 1
    for event in ("contact", "progress", "result", "return_visit", "close"):
        if event == "return_visit":  # the button opens the return visit; the call there records the 回访
            opened = client.post(
                f"/console/tickets/{ticket_id}/return-visit", data={"csrf_token": csrf}, follow_redirects=False
            )
            assert opened.status_code == 303, opened.text
            visit_path = opened.headers["location"]
            call = client.post(
                f"{visit_path}/attempts", data={"csrf_token": csrf, "outcome": "refused"}, follow_redirects=False
            )
            assert call.status_code == 303, call.text
            reply = client.get(f"/console/tickets/{ticket_id}", headers={"HX-Request": "true"})
            assert "回访未完成：客户拒绝回访" in reply.text
        else:
            reply = client.post(
                f"/console/tickets/{ticket_id}/events",
                data={"csrf_token": csrf, "type": event, "version": version, "note": f"{event} 说明"},
                headers={"HX-Request": "true"},
            )
            assert reply.status_code == 200, reply.text
            assert "已记录" in reply.text
        version = int(re.search(r'data-version="(\d+)"', reply.text).group(1))  # type: ignore[union-attr]
    ticket = db.get(Ticket, ticket_id)
    assert ticket is not None and ticket.status == "closed"
    events = list(
        db.scalars(select(TicketEvent.type).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id))
    )
    assert events == ["register", "contact", "progress", "result", "return_visit", "close"]
    assert db.scalar(select(ReturnVisit.status).where(ReturnVisit.ticket_id == ticket_id)) == "unreachable"
    stale = client.post(
        f"/console/tickets/{ticket_id}/events", data={"csrf_token": csrf, "type": "reopen", "version": 1}
    )
    assert stale.status_code == 409 and "工单已被他人修改" in stale.text
    assert db.get(Ticket, ticket_id).status == "closed"  # type: ignore[union-attr]


def test_forbidden_move_says_why(client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory) -> None:
    make_user(Role.AGENT, username="agent6")
    ticket_id = factories.ticket(db, clock=clock).id
    db.commit()
    csrf = console_login(client, db, "agent6")
    reply = client.post(
        f"/console/tickets/{ticket_id}/events", data={"csrf_token": csrf, "type": "close", "version": 1}
    )
    assert reply.status_code == 409
    assert db.get(Ticket, ticket_id).status == "registered"  # type: ignore[union-attr]


def test_comment_and_slip(client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory) -> None:
    make_user(Role.AGENT, username="agent7")
    created = factories.ticket(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "agent7")
    client.post(
        f"/console/tickets/{created.id}/comments", data={"csrf_token": csrf, "body": "客户下午在家", "internal": "1"}
    )
    comment = db.scalars(select(TicketComment).where(TicketComment.ticket_id == created.id)).one()
    assert (comment.body, comment.is_internal) == ("客户下午在家", True)
    empty = client.post(f"/console/tickets/{created.id}/comments", data={"csrf_token": csrf, "body": "  "})
    assert empty.status_code == 422 and _count(db, TicketComment) == 1
    slip = client.get(f"/console/tickets/{created.id}/print")
    assert slip.status_code == 200 and "售后服务工单" in slip.text and "138****8000" in slip.text
    assert 'media="print"' in slip.text


def test_technicians_do_not_get_the_agent_list(client: TestClient, db: Session, make_user: UserFactory) -> None:
    make_user(Role.TECHNICIAN, username="tech9")
    console_login(client, db, "tech9")
    assert client.get("/console/tickets").status_code == 403
    assert client.get("/console/tickets/new").status_code == 403


def test_ticket_page_suggests_articles_and_records_a_solution(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    from aftersales.accounts.schemas import SYSTEM_ACTOR
    from aftersales.knowledge import service as knowledge_service
    from aftersales.knowledge.models import ArticleSolution
    from aftersales.knowledge.schemas import ArticleCreate

    article = knowledge_service.create_article(
        db,
        clock=clock,
        actor=SYSTEM_ACTOR,
        data=ArticleCreate(
            title="指纹识别失败的处理", body="清洁指纹头。", questions=["指纹识别不了"], status="published"
        ),
    )
    db.commit()
    make_user(Role.AGENT, username="agent8")
    created = factories.ticket(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "agent8")
    page = client.get(f"/console/tickets/{created.id}")
    assert f'hx-get="/console/tickets/{created.id}/suggestions"' in page.text
    fragment = client.get(f"/console/tickets/{created.id}/suggestions").text
    assert f'data-article="{article.id}"' in fragment and "指纹识别失败的处理" in fragment
    reply = client.post(f"/console/tickets/{created.id}/solutions", data={"csrf_token": csrf, "article_id": article.id})
    assert reply.status_code == 200 and "此文章解决了问题" in reply.text
    assert db.scalar(select(func.count()).select_from(ArticleSolution)) == 1
