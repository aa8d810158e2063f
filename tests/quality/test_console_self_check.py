"""The technician's self-check on the job card: the checklist for the ticket's kind, a refused check drawn
again with the answers kept and nothing stored, one check per visit, and nobody else's job."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.core.clock import FrozenClock
from aftersales.quality.models import SelfCheck
from aftersales.tickets.enums import EventType, TicketKind
from aftersales.tickets.models import TicketEvent
from tests import factories
from tests.conftest import UserFactory, console_login

REPAIR = {
    "shoe_covers": "yes",
    "self_introduction": "yes",
    "diagnosis_explained": "yes",
    "site_protected": "yes",
    "usage_explained": "yes",
    "site_cleared": "yes",
    "lock_lubricated": "no",
    "unlock_tested_three_times": "yes",
}


def _job(db: Session, clock: FrozenClock, make_user: UserFactory) -> int:
    """A repair in progress, assigned to technician ``sc_tech``."""
    agent, _ = make_user(Role.AGENT, username="sc_agent")
    technician, _ = make_user(Role.TECHNICIAN, username="sc_tech")
    make_user(Role.TECHNICIAN, username="sc_other")
    make_user(Role.INSPECTOR, username="sc_insp")
    ticket = factories.ticket(db, clock=clock, actor=agent, kind=TicketKind.REPAIR)
    factories.assign(db, clock=clock, ticket_id=ticket.id, assignee_username="sc_tech", actor=agent)
    factories.walk(db, clock=clock, ticket_id=ticket.id, events=[EventType.CONTACT], actor=technician)
    db.commit()
    return ticket.id


def _form(csrf: str, answers: dict[str, str], note: str = "") -> dict[str, str]:
    return {"csrf_token": csrf, "note": note, **{f"item:{code}": value for code, value in answers.items()}}


def _stored(db: Session) -> tuple[int, int, int]:
    return (
        db.scalar(select(func.count()).select_from(SelfCheck)) or 0,
        db.scalar(select(func.count()).where(TicketEvent.type == "self_check")) or 0,
        db.scalar(select(func.count()).where(AuditEntry.action == "quality.self_check")) or 0,
    )


def test_the_technician_ticks_the_checklist_on_the_job_card(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    ticket_id = _job(db, clock, make_user)
    csrf = console_login(client, db, "sc_tech")
    card = client.get(f"/console/jobs/{ticket_id}")
    assert f'hx-get="/console/jobs/{ticket_id}/self-check"' in card.text
    panel = client.get(f"/console/jobs/{ticket_id}/self-check")
    assert panel.status_code == 200
    assert re.findall(r'name="item:([a-z_]+)" value="yes"', panel.text) == [*REPAIR, "old_parts_returned"]
    url = f"/console/jobs/{ticket_id}/self-check"
    missing = {code: value for code, value in REPAIR.items() if code != "shoe_covers"}
    refused = client.post(url, data=_form(csrf, missing, note="锁体已更换"))
    assert refused.status_code == 422
    assert '<p class="error" id="error-shoe_covers">必填检查项「穿鞋套」未填写</p>' in refused.text
    assert 'name="item:lock_lubricated" value="no" checked' in refused.text  # the answers are kept
    assert ">锁体已更换</textarea>" in refused.text
    assert _stored(db) == (0, 0, 0)
    done = client.post(url, data=_form(csrf, REPAIR, note="锁体已更换"))
    assert done.status_code == 200
    assert '<p class="flash" role="status">自检已登记</p>' in done.text
    assert "已自检：7/8 项做到（锁体已更换）" in done.text
    assert 'action="/console/jobs/' in done.text  # still open: a later visit may check again
    assert _stored(db) == (1, 1, 1)
    again = client.post(url, data=_form(csrf, REPAIR))
    assert again.status_code == 409
    assert "本次上门已登记过自检" in again.text
    assert _stored(db) == (1, 1, 1)


def test_another_technicians_job_and_roles_without_the_right_are_refused(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    ticket_id = _job(db, clock, make_user)
    url = f"/console/jobs/{ticket_id}/self-check"
    csrf = console_login(client, db, "sc_other")
    assert client.get(url).status_code == 404
    assert client.post(url, data=_form(csrf, REPAIR)).status_code == 404
    client.post("/console/logout", data={"csrf_token": csrf})
    csrf = console_login(client, db, "sc_insp")
    assert client.get(url).status_code == 403
    assert client.post(url, data=_form(csrf, REPAIR)).status_code == 403
    assert _stored(db) == (0, 0, 0)
