"""The loop's guards on the ticket page: no result button before the check-in (a supervisor's override
with a reason instead), the 回访 through the return visit, flagged visits with a badge and the inspector's
review. A refused step says why and changes nothing."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.core.clock import FrozenClock
from aftersales.dispatch import fieldwork
from aftersales.dispatch.fieldwork.models import VisitFlag
from aftersales.tickets.enums import EventType, TicketStatus
from aftersales.tickets.models import Ticket, TicketEvent
from tests import factories
from tests.conftest import UserFactory, console_login

HX = {"HX-Request": "true"}


def _snapshot(db: Session, ticket_id: int) -> tuple[object, ...]:
    db.expire_all()
    ticket = db.get(Ticket, ticket_id)
    assert ticket is not None
    events = db.scalar(select(func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id == ticket_id))
    audits = db.scalar(select(func.count()).select_from(AuditEntry))
    return ticket.status, ticket.version, ticket.resolved_at, events, audits


def _post(client: TestClient, csrf: str, ticket: Ticket, event: str, **fields: str) -> object:
    data = {"csrf_token": csrf, "type": event, "version": str(ticket.version), "note": "说明", **fields}
    return client.post(f"/console/tickets/{ticket.id}/events", data=data, headers=HX)


def test_the_agent_gets_no_result_before_the_check_in(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="agent_g")
    ticket = factories.ticket_in_status(db, clock=clock, status=TicketStatus.IN_PROGRESS)
    db.commit()
    csrf = console_login(client, db, "agent_g")
    page = client.get(f"/console/tickets/{ticket.id}").text
    assert 'value="result"' not in page and "技术员上门签到后才能反馈结果" in page
    assert 'name="override_reason"' not in page
    before = _snapshot(db, ticket.id)
    refused = _post(client, csrf, ticket, "result")
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert "上门类工单须先由技术员上门签到，才能反馈结果" in refused.text  # type: ignore[attr-defined]
    forged = _post(client, csrf, ticket, "result", override_reason="我说可以")
    assert forged.status_code == 403 and "只有主管可以在未签到时放行结果" in forged.text  # type: ignore[attr-defined]
    check_in = _post(client, csrf, ticket, "check_in")
    assert check_in.status_code == 403 and "上门签到请在技术员的作业页面完成" in check_in.text  # type: ignore[attr-defined]
    assert _snapshot(db, ticket.id) == before


def test_a_manager_overrides_with_a_reason(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.MANAGER, username="boss_g")
    ticket = factories.ticket_in_status(db, clock=clock, status=TicketStatus.IN_PROGRESS)
    db.commit()
    csrf = console_login(client, db, "boss_g")
    page = client.get(f"/console/tickets/{ticket.id}").text
    assert 'value="result"' in page and 'name="override_reason"' in page
    before = _snapshot(db, ticket.id)
    # The override is confirmed first (its reason asked for again); an empty reason is refused.
    asked = _post(client, csrf, ticket, "result", override_reason="")
    assert asked.status_code == 200 and "确认未签到放行并反馈结果？" in asked.text  # type: ignore[attr-defined]
    blank = _post(client, csrf, ticket, "result", override_reason="", confirmed="1")
    assert blank.status_code == 422 and "请填写未签到即反馈结果的原因" in blank.text  # type: ignore[attr-defined]
    assert _snapshot(db, ticket.id) == before
    clock.advance(timedelta(minutes=5))
    done = _post(client, csrf, ticket, "result", override_reason="客户到店自修，已确认恢复", confirmed="1")
    assert done.status_code == 200, done.text  # type: ignore[attr-defined]
    assert "未签到放行" in done.text and "未上门签到即反馈结果（主管放行）：客户到店自修，已确认恢复" in done.text  # type: ignore[attr-defined]
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "ticket.check_in_override")).one()
    assert (audit.actor_name, audit.note) == ("boss_g", "客户到店自修，已确认恢复")


def test_the_return_visit_is_offered_instead_of_a_bare_button(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="agent_h")
    ticket = factories.ticket_in_status(db, clock=clock, status=TicketStatus.RESOLVED)
    db.commit()
    csrf = console_login(client, db, "agent_h")
    page = client.get(f"/console/tickets/{ticket.id}").text
    assert 'value="return_visit"' not in page and f"/console/tickets/{ticket.id}/return-visit" in page
    before = _snapshot(db, ticket.id)
    bare = _post(client, csrf, ticket, "return_visit")
    assert bare.status_code == 409 and "回访须通过回访记录登记" in bare.text  # type: ignore[attr-defined]
    assert _snapshot(db, ticket.id) == before
    opened = client.post(
        f"/console/tickets/{ticket.id}/return-visit", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert opened.status_code == 303 and opened.headers["location"].startswith("/console/visits/")
    again = client.post(f"/console/tickets/{ticket.id}/return-visit", data={"csrf_token": csrf}, follow_redirects=False)
    assert again.headers["location"] == opened.headers["location"]  # one visit per result


def test_a_flagged_visit_shows_a_badge_and_the_inspector_reviews_it(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    tech, _ = make_user(Role.TECHNICIAN, username="tech_g")
    make_user(Role.INSPECTOR, username="qc_g")
    ticket = factories.ticket(db, clock=clock, assignee_username="tech_g")
    fieldwork.accept(db, clock=clock, actor=tech, ticket_id=ticket.id)
    assert ticket.address is not None and ticket.address.latitude is not None
    fieldwork.check_in(
        db,
        clock=clock,
        actor=tech,
        ticket_id=ticket.id,
        longitude=ticket.address.longitude,
        latitude=ticket.address.latitude + 0.35,
    )
    fieldwork.check_out(db, clock=clock, actor=tech, ticket_id=ticket.id)  # 0 minutes on site
    db.commit()
    flag = db.scalars(select(VisitFlag)).one()
    assert flag.reasons == ["far_from_address", "short_stay"]
    csrf = console_login(client, db, "qc_g")
    page = client.get(f"/console/tickets/{ticket.id}").text
    assert "签到远离地址" in page and "停留过短" in page and "待质检复核，暂不计入一次修复率" in page
    assert f"/visit-flags/{flag.id}/review" in page
    reviewed = client.post(
        f"/console/tickets/{ticket.id}/visit-flags/{flag.id}/review",
        data={"csrf_token": csrf, "note": "定位漂移"},
        headers=HX,
    )
    assert reviewed.status_code == 200, reviewed.text
    assert "已由 qc_g 复核：定位漂移" in reviewed.text and "上门复核" in reviewed.text
    again = client.post(
        f"/console/tickets/{ticket.id}/visit-flags/{flag.id}/review", data={"csrf_token": csrf}, headers=HX
    )
    assert again.status_code == 409 and "该上门记录已复核" in again.text
    db.expire_all()
    assert db.get(VisitFlag, flag.id).reviewed_by == "qc_g"  # type: ignore[union-attr]
    types = db.scalars(select(TicketEvent.type).where(TicketEvent.ticket_id == ticket.id)).all()
    assert EventType.CHECK_IN in types and "visit_reviewed" in types
