"""The inspector's list of flagged visits in the console (issue 13 items 1 and 5): open, reviewed or all,
by technician and reason, a page at a time; each row with the ticket, the technician, the reason with the
measured distance or stay, and when. The review is confirmed on its own page with an optional note and
clears the flag through the service the API uses (timeline and audit); a refused review changes nothing,
and roles the policy keeps from ``quality.inspect`` are refused every route."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.core.clock import FrozenClock
from aftersales.dispatch import fieldwork
from aftersales.dispatch.fieldwork import console_flags
from aftersales.dispatch.fieldwork import flags as field_flags
from aftersales.dispatch.fieldwork.models import VisitFlag
from aftersales.tickets.enums import Channel, TicketKind
from aftersales.tickets.models import TicketEvent
from tests import factories
from tests.conftest import console_login, local


class Flags:
    """Three flagged visits (the newest first in the list) and the people who look at them."""

    def __init__(self, db: Session, clock: FrozenClock) -> None:
        self.tech_a = factories.technician(db, clock=clock, username="fl_tech_a")
        self.tech_b = factories.technician(db, clock=clock, username="fl_tech_b")
        self.inspector = factories.user(db, clock=clock, role=Role.INSPECTOR, username="fl_inspector")
        # 10:00 tech_a checks in 38.9 km from the address (and stays on site).
        self.far, self.far_number = self._visit(db, clock, self.tech_a, north=0.35, stay=None)
        # 10:30 tech_b checks in at the address and leaves at 10:33 (3 minutes).
        clock.advance(timedelta(minutes=30))
        self.short, self.short_number = self._visit(db, clock, self.tech_b, north=0.0, stay=3)
        # 11:00 tech_a checks in far away again and leaves after a minute: both reasons, one flag.
        clock.set(local(2026, 11, 22, 11, 0))
        self.both, self.both_number = self._visit(db, clock, self.tech_a, north=0.35, stay=1)
        db.commit()

    @staticmethod
    def _visit(
        db: Session, clock: FrozenClock, tech: factories.MadeUser, *, north: float, stay: int | None
    ) -> tuple[int, str]:
        ticket = factories.ticket(
            db, clock=clock, kind=TicketKind.REPAIR, channel=Channel.HOTLINE, assignee_username=tech.user.username
        )
        address = ticket.address
        assert address is not None and address.longitude is not None and address.latitude is not None
        fieldwork.accept(db, clock=clock, actor=tech.actor, ticket_id=ticket.id)
        fieldwork.check_in(
            db,
            clock=clock,
            actor=tech.actor,
            ticket_id=ticket.id,
            longitude=address.longitude,
            latitude=address.latitude + north,
        )
        if stay is not None:
            clock.advance(timedelta(minutes=stay))
            fieldwork.check_out(db, clock=clock, actor=tech.actor, ticket_id=ticket.id)
        flag_id = db.scalar(select(VisitFlag.id).where(VisitFlag.ticket_id == ticket.id))
        assert flag_id is not None
        return flag_id, ticket.number


@pytest.fixture
def flags(db: Session, clock: FrozenClock) -> Flags:
    return Flags(db, clock)


def _rows(html: str) -> list[tuple[int, str]]:
    """(flag id, state) of the list's rows, in order."""
    return [(int(flag), state) for flag, state in re.findall(r'<tr data-flag="(\d+)" data-state="(\w+)">', html)]


def _row(html: str, flag_id: int) -> str:
    match = re.search(rf'<tr data-flag="{flag_id}".*?</tr>', html, re.S)
    assert match is not None, f"no row for flag {flag_id}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0))).strip()


def _flag_state(db: Session, flag_id: int) -> tuple[object, ...]:
    db.expire_all()
    flag = db.get(VisitFlag, flag_id)
    assert flag is not None
    return (flag.reviewed_at, flag.reviewed_by, flag.review_note, list(flag.reasons))


def _counts(db: Session) -> tuple[int, int]:
    """Audit rows and timeline events: what a refused review must leave as they were."""
    db.expire_all()
    audits = db.scalar(select(func.count()).select_from(AuditEntry)) or 0
    events = db.scalar(select(func.count()).select_from(TicketEvent)) or 0
    return audits, events


def test_the_list_shows_open_flags_newest_first_with_ticket_technician_reason_and_when(
    client: TestClient, db: Session, flags: Flags
) -> None:
    console_login(client, db, "fl_inspector")
    page = client.get("/console/visit-flags")
    assert page.status_code == 200, page.text
    assert _rows(page.text) == [(flags.both, "open"), (flags.short, "open"), (flags.far, "open")]
    assert "（共 3 条）" in page.text
    assert _row(page.text, flags.far) == (
        f"{flags.far_number} 师傅张伟 （fl_tech_a） 签到远离地址 距地址 38.9 公里 2026-11-22 10:00 复核"
    )
    assert _row(page.text, flags.short) == (
        f"{flags.short_number} 师傅张伟 （fl_tech_b） 停留过短 停留 3 分钟 2026-11-22 10:33 复核"
    )
    assert _row(page.text, flags.both) == (
        f"{flags.both_number} 师傅张伟 （fl_tech_a） 签到远离地址 停留过短 距地址 38.9 公里 停留 1 分钟 "
        "2026-11-22 11:00 复核"
    )
    ticket_id = db.scalar(select(VisitFlag.ticket_id).where(VisitFlag.id == flags.far))
    assert f'<a href="/console/tickets/{ticket_id}">{flags.far_number}</a>' in page.text
    assert f'href="/console/visit-flags/{flags.far}/review"' in page.text
    # The technician filter offers the technicians with flags, by username.
    assert re.findall(r'<option value="(fl_[^"]+)"', page.text) == ["fl_tech_a", "fl_tech_b"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("reason=short_stay", ["both", "short"]),
        ("reason=far_from_address", ["both", "far"]),
        ("technician=fl_tech_b", ["short"]),
        ("technician=fl_tech_a&reason=short_stay", ["both"]),
        ("technician=nobody", []),
        ("state=reviewed", []),
        ("state=all", ["both", "short", "far"]),
        # Hand-edited values fall back to the defaults (open, any reason) instead of failing.
        ("state=bogus&reason=late&page=x", ["both", "short", "far"]),
        ("page=%C2%B2", ["both", "short", "far"]),
    ],
)
def test_the_list_filters_by_state_technician_and_reason(
    client: TestClient, db: Session, flags: Flags, query: str, expected: list[str]
) -> None:
    console_login(client, db, "fl_inspector")
    page = client.get(f"/console/visit-flags?{query}")
    assert page.status_code == 200, page.text
    assert [flag for flag, _ in _rows(page.text)] == [getattr(flags, name) for name in expected]
    if not expected:
        assert "没有符合条件的异常上门记录" in page.text


def test_the_list_pages(client: TestClient, db: Session, flags: Flags, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console_flags, "PAGE_SIZE", 2)
    console_login(client, db, "fl_inspector")
    first = client.get("/console/visit-flags")
    assert [flag for flag, _ in _rows(first.text)] == [flags.both, flags.short]
    assert "第 1 / 2 页" in first.text and 'href="/console/visit-flags?page=2"' in first.text
    second = client.get("/console/visit-flags?page=2")
    assert [flag for flag, _ in _rows(second.text)] == [flags.far]
    assert "第 2 / 2 页" in second.text and 'href="/console/visit-flags"' in second.text
    # Past the end (the last open flag of page 2 reviewed meanwhile): the last page instead.
    assert [flag for flag, _ in _rows(client.get("/console/visit-flags?page=9").text)] == [flags.far]


def test_a_review_with_a_note_clears_the_flag_and_moves_it_to_reviewed(
    client: TestClient, db: Session, clock: FrozenClock, flags: Flags
) -> None:
    csrf = console_login(client, db, "fl_inspector")
    before = _counts(db)
    confirm = client.get(f"/console/visit-flags/{flags.far}/review?reason=far_from_address")
    assert confirm.status_code == 200, confirm.text
    assert "确认已核实这次上门" in confirm.text and "距地址 38.9 公里" in confirm.text
    assert '<input type="hidden" name="reason" value="far_from_address">' in confirm.text
    assert _counts(db) == before  # the confirmation page changes nothing
    clock.set(local(2026, 11, 22, 14, 0))
    reviewed = client.post(
        f"/console/visit-flags/{flags.far}/review",
        data={"csrf_token": csrf, "note": "  定位漂移，已电话核实 ", "state": "open", "reason": "far_from_address"},
        follow_redirects=False,
    )
    assert reviewed.status_code == 303, reviewed.text
    assert reviewed.headers["location"] == "/console/visit-flags?reason=far_from_address&reviewed=1"
    assert _flag_state(db, flags.far) == (
        local(2026, 11, 22, 14, 0),
        "fl_inspector",
        "定位漂移，已电话核实",
        ["far_from_address"],
    )
    ticket_id = db.scalar(select(VisitFlag.ticket_id).where(VisitFlag.id == flags.far))
    audit = db.execute(
        select(AuditEntry.action, AuditEntry.entity_type, AuditEntry.entity_id, AuditEntry.actor_name, AuditEntry.note)
        .where(AuditEntry.id > 0)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).one()
    assert tuple(audit) == (
        "job.visit_reviewed",
        "ticket",
        str(ticket_id),
        "fl_inspector",
        "质检已复核上门记录：定位漂移，已电话核实",
    )
    assert _counts(db) == (before[0] + 1, before[1] + 1)  # one audit row, one timeline event
    # Back on the list: the flash, and the flag gone from the open ones …
    listed = client.get(reviewed.headers["location"])
    assert "已复核，该上门记录不再标记为异常" in listed.text
    assert [flag for flag, _ in _rows(listed.text)] == [flags.both]
    # … to the reviewed ones, with who reviewed it, when and the note.
    done = client.get("/console/visit-flags?state=reviewed")
    assert _rows(done.text) == [(flags.far, "reviewed")]
    assert _row(done.text, flags.far).endswith("已由 fl_inspector 复核 · 2026-11-22 14:00 定位漂移，已电话核实")
    assert field_flags.first_time_fix(
        db, start=local(2026, 11, 22), end=local(2026, 11, 23)
    ) == field_flags.FirstTimeFix(0, 0, 0)  # none resolved: nothing to count either way


def test_a_review_on_an_already_reviewed_flag_changes_nothing(
    client: TestClient, db: Session, clock: FrozenClock, flags: Flags
) -> None:
    field_flags.review(db, clock=clock, actor=flags.inspector.actor, flag_id=flags.short, note="已核实")
    db.commit()
    csrf = console_login(client, db, "fl_inspector")
    state, counts = _flag_state(db, flags.short), _counts(db)
    clock.advance(timedelta(hours=1))
    again = client.post(
        f"/console/visit-flags/{flags.short}/review",
        data={"csrf_token": csrf, "note": "再次复核"},
        follow_redirects=False,
    )
    assert again.status_code == 409, again.text
    assert '<p class="flash error" role="alert" id="form-message">该上门记录已复核</p>' in again.text
    assert 'id="review-form"' not in again.text and "已由 fl_inspector 复核 · 2026-11-22 11:01：已核实" in again.text
    assert _flag_state(db, flags.short) == state and _counts(db) == counts
    # The confirmation page says so too, without a form.
    confirm = client.get(f"/console/visit-flags/{flags.short}/review")
    assert 'id="flag-reviewed"' in confirm.text and 'id="review-form"' not in confirm.text


def test_a_note_too_long_is_refused_beside_its_field_and_changes_nothing(
    client: TestClient, db: Session, flags: Flags
) -> None:
    csrf = console_login(client, db, "fl_inspector")
    state, counts = _flag_state(db, flags.both), _counts(db)
    note = "很" * 501
    refused = client.post(
        f"/console/visit-flags/{flags.both}/review",
        data={"csrf_token": csrf, "note": note, "technician": "fl_tech_a"},
        follow_redirects=False,
    )
    assert refused.status_code == 422, refused.text
    assert '<p class="field-error" id="note-error" role="alert">复核说明不能超过 500 个字</p>' in refused.text
    assert f'aria-describedby="note-error">{note}</textarea>' in refused.text  # what was typed is kept
    assert '<input type="hidden" name="technician" value="fl_tech_a">' in refused.text
    assert _flag_state(db, flags.both) == state and _counts(db) == counts


def test_an_unknown_flag_is_not_found(client: TestClient, db: Session, flags: Flags) -> None:
    csrf = console_login(client, db, "fl_inspector")
    counts = _counts(db)
    assert client.get("/console/visit-flags/987654/review").status_code == 404
    missing = client.post("/console/visit-flags/987654/review", data={"csrf_token": csrf}, follow_redirects=False)
    assert missing.status_code == 404 and _counts(db) == counts


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER])
def test_admins_and_managers_review_too(
    client: TestClient, db: Session, clock: FrozenClock, flags: Flags, role: Role
) -> None:
    made = factories.user(db, clock=clock, role=role, username=f"fl_{role.value}")
    db.commit()
    csrf = console_login(client, db, made.user.username)
    page = client.get("/console/visit-flags")
    assert page.status_code == 200 and '<a href="/console/visit-flags" aria-current="page">异常上门</a>' in page.text
    done = client.post(f"/console/visit-flags/{flags.far}/review", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303
    assert _flag_state(db, flags.far)[1:3] == (made.user.username, None)


@pytest.mark.parametrize("role", [Role.AGENT, Role.DISPATCHER, Role.TECHNICIAN, Role.PROVIDER])
def test_roles_without_quality_inspection_are_refused_and_change_nothing(
    client: TestClient, db: Session, clock: FrozenClock, flags: Flags, role: Role
) -> None:
    made = factories.user(db, clock=clock, role=role, username=f"fl_{role.value}")
    db.commit()
    csrf = console_login(client, db, made.user.username)
    state, counts = _flag_state(db, flags.far), _counts(db)
    assert client.get("/console/visit-flags").status_code == 403
    assert client.get(f"/console/visit-flags/{flags.far}/review").status_code == 403
    refused = client.post(f"/console/visit-flags/{flags.far}/review", data={"csrf_token": csrf}, follow_redirects=False)
    assert refused.status_code == 403
    assert _flag_state(db, flags.far) == state and _counts(db) == counts
    home = client.get("/console/").text
    assert 'aria-label="主导航"' in home and 'href="/console/visit-flags"' not in home  # not in their navigation


def test_the_quality_workspace_links_to_the_list(client: TestClient, db: Session, flags: Flags) -> None:
    console_login(client, db, "fl_inspector")
    workspace = client.get("/console/quality")
    assert workspace.status_code == 200
    tabs = re.search(r'<nav class="tabs" aria-label="质检工作台">.*?</nav>', workspace.text, re.S)
    assert tabs is not None and '<a href="/console/visit-flags">异常上门</a>' in tabs.group(0)


def test_the_english_list_is_translated(client: TestClient, db: Session, flags: Flags) -> None:
    csrf = console_login(client, db, "fl_inspector")
    client.post("/console/language", data={"csrf_token": csrf, "locale": "en"})
    page = client.get("/console/visit-flags")
    assert _row(page.text, flags.far) == (
        f"{flags.far_number} 师傅张伟 （fl_tech_a） Far from the address 38.9 km from the address 2026-11-22 10:00 Review"
    )
    assert '<a href="/console/visit-flags" aria-current="page">Flagged visits</a>' in page.text
