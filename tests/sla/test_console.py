"""The SLA screens: policies per priority (list, form, save with the audited change shown), calendars (weekly
hours, holidays and make-up workdays, the year flag). Bad input is shown by its field with what was typed
and changes nothing; a stale form is refused; roles outside ``sla.manage`` get the refusal page."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.core.clock import FrozenClock
from aftersales.sla import service as sla_service
from aftersales.sla.enums import TargetKind
from aftersales.tickets.enums import Priority
from tests import factories
from tests.conftest import UserFactory, console_login


def _audit_count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity_type.like("sla_%"))) or 0


def _field_error(page: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="{re.escape(field)}-error">([^<]*)</p>', page)
    assert match is not None, f"no error for {field}"
    return match.group(1)


def _policy(db: Session, priority: str = "urgent") -> dict[str, object]:
    db.expire_all()
    return sla_service.policy_values(sla_service.get_policy(db, priority))


def _form(csrf: str, fingerprint: str, **overrides: object) -> dict[str, object]:
    form: dict[str, object] = {
        "csrf_token": csrf,
        "fingerprint": fingerprint,
        "first_response": "30",
        "first_response_unit": "minutes",
        "onsite": "2",
        "onsite_unit": "hours",
        "resolution": "24",
        "resolution_unit": "hours",
        "onsite_kinds": ["installation", "repair"],
        "calendar": "7x24",
        "warning_percent": "80",
    }
    form.update(overrides)
    return form


@pytest.fixture
def admin(client: TestClient, db: Session, make_user: UserFactory) -> str:
    make_user(Role.ADMIN, username="sla_admin")
    return console_login(client, db, "sla_admin")


def test_the_policies_page_shows_each_prioritys_targets(client: TestClient, admin: str) -> None:
    page = client.get("/console/sla/policies")
    assert page.status_code == 200
    rows = re.findall(r'<tr data-priority="(\w+)">', page.text)
    assert rows == ["urgent", "routine", "complex"]
    urgent = page.text.split('<tr data-priority="urgent">')[1].split("</tr>")[0]
    assert '<td data-target="first_response">30 分钟</td>' in urgent
    assert "2 小时" in urgent and "适用：安装、报修" in urgent
    assert '<td data-target="resolution">24 小时</td>' in urgent
    assert ">7×24 小时</a>" in urgent and "<td>80%</td>" in urgent
    routine = page.text.split('<tr data-priority="routine">')[1].split("</tr>")[0]
    assert '<td data-target="onsite">—</td>' in routine and "12 小时" in routine
    # The navigation's entry and the tab, both marked as the current page.
    assert page.text.count('<a href="/console/sla/policies" aria-current="page">SLA 策略</a>') == 2


def test_an_admin_changes_the_urgent_first_contact_target(
    client: TestClient, db: Session, clock: FrozenClock, admin: str
) -> None:
    before = factories.ticket(db, clock=clock, priority=Priority.URGENT)
    db.commit()
    form_page = client.get("/console/sla/policies/urgent")
    assert form_page.status_code == 200
    fingerprint = re.search(r'name="fingerprint" value="([^"]*)"', form_page.text)
    assert fingerprint is not None
    assert 'id="first_response" name="first_response" inputmode="numeric" value="30"' in form_page.text
    reply = client.post(
        "/console/sla/policies/urgent",
        data=_form(admin, fingerprint.group(1), first_response="20"),
        follow_redirects=False,
    )
    assert (reply.status_code, reply.headers["location"]) == (303, "/console/sla/policies?saved=urgent")
    assert _policy(db)["first_response_minutes"] == 20
    after = factories.ticket(db, clock=clock, priority=Priority.URGENT)
    due = {
        ticket.id: next(t.due_at for t in sla_service.targets_of(db, ticket.id) if t.kind == TargetKind.FIRST_RESPONSE)
        for ticket in (before, after)
    }
    assert due == {before.id: factories.local(2026, 11, 22, 10, 30), after.id: factories.local(2026, 11, 22, 10, 20)}
    listed = client.get(reply.headers["location"]).text
    assert "“紧急”的策略已保存" in listed
    assert '<td data-target="first_response">20 分钟</td>' in listed
    assert "sla_admin：紧急·首次联系 30 分钟 → 20 分钟</li>" in listed
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "sla_policy.changed")).one()
    assert (entry.actor_name, entry.before["first_response_minutes"], entry.after["first_response_minutes"]) == (
        "sla_admin",
        30,
        20,
    )


@pytest.mark.parametrize(
    ("overrides", "field", "error"),
    [
        ({"first_response": "0"}, "first_response", "时限必须大于 0"),
        ({"first_response": ""}, "first_response", "请填写时限"),
        ({"first_response": "abc"}, "first_response", "请填写正整数"),
        ({"first_response": "-5"}, "first_response", "请填写正整数"),
        ({"resolution": "1", "first_response": "2", "first_response_unit": "hours"}, "resolution",
         "解决时限不能短于首次联系时限"),
        ({"onsite": "30"}, "onsite", "上门时限不能长于解决时限"),
        ({"onsite_kinds": []}, "onsite_kinds", "设了上门时限，请选择适用的工单类型"),
        ({"warning_percent": "100"}, "warning_percent", "预警比例应在 10% 到 99% 之间"),
        ({"warning_percent": "八十"}, "warning_percent", "请填写 10 到 99 之间的整数"),
        ({"calendar": "nowhere"}, "calendar", "请选择有效的日历"),
    ],
)  # fmt: skip
def test_a_bad_policy_form_is_shown_by_its_field_and_changes_nothing(
    client: TestClient, db: Session, admin: str, overrides: dict[str, object], field: str, error: str
) -> None:
    kept = _policy(db)
    fingerprint = sla_service.policy_fingerprint(sla_service.get_policy(db, "urgent"))
    reply = client.post("/console/sla/policies/urgent", data=_form(admin, fingerprint, **overrides))
    assert reply.status_code == 422
    assert _field_error(reply.text, field) == error
    assert 'aria-invalid="true"' in reply.text
    assert "SLA 策略有误，请按提示修改" in reply.text
    for name in ("first_response", "resolution", "warning_percent"):
        typed = str(overrides.get(name, _form(admin, fingerprint)[name]))
        assert f'name="{name}" inputmode="numeric" value="{typed}"' in reply.text
    assert _policy(db) == kept
    assert _audit_count(db) == 0


def test_a_stale_policy_form_is_refused_and_changes_nothing(client: TestClient, db: Session, admin: str) -> None:
    stale = sla_service.policy_fingerprint(sla_service.get_policy(db, "urgent"))
    assert client.post("/console/sla/policies/urgent", data=_form(admin, stale, first_response="25")).status_code == 200
    again = client.post("/console/sla/policies/urgent", data=_form(admin, stale, first_response="15"))
    assert again.status_code == 409
    assert "该策略已被他人修改，请查看最新内容后再保存" in again.text
    assert _policy(db)["first_response_minutes"] == 25
    assert _audit_count(db) == 1


def test_an_unknown_priority_is_not_found(client: TestClient, db: Session, admin: str) -> None:
    assert client.get("/console/sla/policies/someday").status_code == 404
    assert client.post("/console/sla/policies/someday", data=_form(admin, "")).status_code == 404
    assert _audit_count(db) == 0


def test_the_calendars_page_flags_years_without_holidays(client: TestClient, db: Session, admin: str) -> None:
    sla_service.get_calendar(db, "statutory").flagged_years = [2027]
    db.commit()
    page = client.get("/console/sla/calendars")
    assert page.status_code == 200
    assert re.findall(r'<tr data-calendar="([\w-]+)">', page.text) == ["7x24", "service_hours", "statutory"]
    assert '<span class="badge sla-warning" data-flagged="2027">需录入 2027 年节假日</span>' in page.text
    service_hours = page.text.split('<tr data-calendar="service_hours">')[1].split("</tr>")[0]
    assert "周一 08:00-20:00" in service_hours and "常规、复杂" in service_hours
    statutory = client.get("/console/sla/calendars/statutory?year=2027").text
    assert "计算时限时用到了 2027 年" in statutory
    assert 'id="unknown-year"' in statutory and "标记 2027 年节假日已录入" in statutory
    known = client.get("/console/sla/calendars/statutory?year=2026").text
    assert 'id="known-year"' in known and '<tr data-day="2026-10-01" data-kind="holiday">' in known


def test_an_admin_enters_a_holiday_a_make_up_day_and_the_year(client: TestClient, db: Session, admin: str) -> None:
    sla_service.get_calendar(db, "statutory").flagged_years = [2027]
    db.commit()
    holiday = {"csrf_token": admin, "date": "2027-01-01", "kind": "holiday", "hours": "09:00-18:00", "note": "元旦"}
    reply = client.post("/console/sla/calendars/statutory/days", data=holiday, follow_redirects=False)
    assert (reply.status_code, reply.headers["location"]) == (
        303,
        "/console/sla/calendars/statutory?year=2027&done=day",
    )
    workday = {"csrf_token": admin, "date": "2027-02-06", "kind": "workday", "hours": "09:00-18:00", "note": "调休"}
    assert client.post("/console/sla/calendars/statutory/days", data=workday, follow_redirects=False).status_code == 303
    shown = client.get("/console/sla/calendars/statutory?year=2027&done=day").text
    assert "日期已登记" in shown
    assert '<tr data-day="2027-01-01" data-kind="holiday">' in shown
    assert '<tr data-day="2027-02-06" data-kind="workday">' in shown
    year = client.post(
        "/console/sla/calendars/statutory/years", data={"csrf_token": admin, "year": "2027"}, follow_redirects=False
    )
    assert year.status_code == 303
    db.expire_all()
    calendar = sla_service.get_calendar(db, "statutory")
    assert 2027 in (calendar.known_years or []) and calendar.flagged_years == []
    days = sla_service.calendar_days(db, calendar_id=calendar.id, year=2027)
    assert [(d.day, d.hours, d.note) for d in days] == [
        (date(2027, 1, 1), [], "元旦"),
        (date(2027, 2, 6), ["09:00-18:00"], "调休"),
    ]
    removed = client.post(
        "/console/sla/calendars/statutory/days/remove",
        data={"csrf_token": admin, "date": "2027-01-01"},
        follow_redirects=False,
    )
    assert removed.headers["location"] == "/console/sla/calendars/statutory?year=2027&done=removed"
    assert [d.day for d in sla_service.calendar_days(db, calendar_id=calendar.id, year=2027)] == [date(2027, 2, 6)]
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "sla_calendar")).all()
    assert sorted(actions) == sorted(
        ["sla_calendar.day_set", "sla_calendar.day_set", "sla_calendar.year_entered", "sla_calendar.day_removed"]
    )


@pytest.mark.parametrize(
    ("form", "field", "error"),
    [
        ({"date": "2027-13-01", "kind": "holiday"}, "date", "日期格式应为 年-月-日"),
        ({"date": "1999-01-01", "kind": "holiday"}, "date", "日期应在 2000 年到 2100 年之间"),
        ({"date": "2027-02-06", "kind": "workday", "hours": ""}, "hours", "调休上班请填写工作时间，如 09:00-18:00"),
        (
            {"date": "2027-02-06", "kind": "workday", "hours": "9-18"},
            "hours",
            "时间段格式应为 HH:MM-HH:MM：&#39;9-18&#39;",
        ),
        ({"date": "2027-02-06", "kind": "sometimes"}, "kind", "请选择节假日或调休上班"),
    ],
)
def test_a_bad_day_is_shown_by_its_field_and_changes_nothing(
    client: TestClient, db: Session, admin: str, form: dict[str, str], field: str, error: str
) -> None:
    count = len(sla_service.calendar_days(db, calendar_id=sla_service.get_calendar(db, "statutory").id))
    reply = client.post("/console/sla/calendars/statutory/days", data={"csrf_token": admin, "note": "春节", **form})
    assert reply.status_code == 422
    assert _field_error(reply.text, field) == error
    assert f'value="{form["date"]}"' in reply.text and 'value="春节"' in reply.text
    db.expire_all()
    assert len(sla_service.calendar_days(db, calendar_id=sla_service.get_calendar(db, "statutory").id)) == count
    assert _audit_count(db) == 0


def test_weekly_hours_are_saved_and_bad_ones_change_nothing(client: TestClient, db: Session, admin: str) -> None:
    calendar = sla_service.get_calendar(db, "service_hours")
    revision = calendar.revision
    hours = {f"weekday_{d}": "08:00-20:00" for d in range(7)}
    bad = {**hours, "weekday_3": "08:00-12:00，11:00-18:00"}
    reply = client.post(
        "/console/sla/calendars/service_hours/hours", data={"csrf_token": admin, "revision": str(revision), **bad}
    )
    assert reply.status_code == 422
    assert _field_error(reply.text, "weekday_3") == "同一天的时间段不能重叠"
    assert 'value="08:00-12:00，11:00-18:00"' in reply.text
    db.expire_all()
    assert sla_service.get_calendar(db, "service_hours").revision == revision
    assert _audit_count(db) == 0
    good = {**hours, "weekday_5": "09:00-12:00, 13:00-17:00", "weekday_6": ""}
    saved = client.post(
        "/console/sla/calendars/service_hours/hours",
        data={"csrf_token": admin, "revision": str(revision), **good},
        follow_redirects=False,
    )
    assert (saved.status_code, saved.headers["location"]) == (303, "/console/sla/calendars/service_hours?done=hours")
    db.expire_all()
    stored = sla_service.get_calendar(db, "service_hours").weekly_hours
    assert stored == {**{str(d): ["08:00-20:00"] for d in range(5)}, "5": ["09:00-12:00", "13:00-17:00"]}
    stale = client.post(
        "/console/sla/calendars/service_hours/hours", data={"csrf_token": admin, "revision": str(revision), **hours}
    )
    assert stale.status_code == 409 and "该日历已被他人修改" in stale.text
    assert _audit_count(db) == 1


@pytest.mark.parametrize("role", [Role.AGENT, Role.DISPATCHER, Role.INSPECTOR, Role.TECHNICIAN])
def test_roles_without_sla_manage_are_refused_and_change_nothing(
    client: TestClient, db: Session, make_user: UserFactory, role: Role
) -> None:
    make_user(role, username=f"sla_{role.value}")
    csrf = console_login(client, db, f"sla_{role.value}")
    for path in ("/console/sla/policies", "/console/sla/policies/urgent", "/console/sla/calendars/statutory"):
        page = client.get(path)
        assert page.status_code == 403 and "您的角色无权访问此页面" in page.text
    fingerprint = sla_service.policy_fingerprint(sla_service.get_policy(db, "urgent"))
    refused = client.post("/console/sla/policies/urgent", data=_form(csrf, fingerprint, first_response="5"))
    assert refused.status_code == 403
    assert _policy(db)["first_response_minutes"] == 30
    assert "/console/sla/policies" not in client.get("/console/").text
    assert _audit_count(db) == 0


def test_a_manager_may_edit_policies(client: TestClient, db: Session, make_user: UserFactory) -> None:
    make_user(Role.MANAGER, username="sla_manager")
    csrf = console_login(client, db, "sla_manager")
    fingerprint = sla_service.policy_fingerprint(sla_service.get_policy(db, "routine"))
    form = _form(csrf, fingerprint, first_response="8", first_response_unit="hours", onsite="", onsite_kinds=[],
                 calendar="service_hours")  # fmt: skip
    assert client.post("/console/sla/policies/routine", data=form, follow_redirects=False).status_code == 303
    assert _policy(db, "routine")["first_response_minutes"] == 480
    assert _policy(db, "routine")["onsite_minutes"] is None


def test_the_sla_pages_in_english(client: TestClient, db: Session, admin: str) -> None:
    client.post("/console/language", data={"csrf_token": admin, "locale": "en"}, follow_redirects=False)
    policies = client.get("/console/sla/policies").text
    assert "<h1>SLA policies</h1>" in policies
    assert '<td data-target="first_response">30 min</td>' in policies
    assert '<td data-target="resolution">24 h</td>' in policies
    form = client.get("/console/sla/policies/urgent").text
    assert "First-contact target" in form and "Save policy" in form
    calendar = client.get("/console/sla/calendars/statutory?year=2027").text
    assert "Weekly working hours" in calendar and "Mark the holidays of 2027 entered" in calendar
    assert "<td>Thursday</td>" in client.get("/console/sla/calendars/statutory?year=2026").text
