"""System-written timeline notes in the page's language: the key and params stored with the event render
in English on an English console page and as stored on a Chinese one; notes without a key (or with one
that no longer fits) are shown as stored."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import FrozenClock
from aftersales.dispatch.network import service as dispatch_service
from aftersales.tickets.models import TicketEvent
from aftersales.web.i18n import catalog_path, translations
from aftersales.web.notes import NOTES, SEPARATORS, event_note, render_note
from tests import factories
from tests.conftest import console_login

ASSIGNED_ZH = "自动派单给 tech_ok：可在约 1 分钟内到达，今日已有 0 单，距离约 0.5 公里"
ASSIGNED_EN = "Auto-dispatched to tech_ok: can arrive in about 1 min, 0 jobs today, about 0.5 km away"
ENGLISH = translations("en").gettext


def _same(text: str) -> str:
    return text


def _event(note: str | None, data: dict[str, Any] | None) -> Any:
    return SimpleNamespace(note=note, data=data)


def test_every_note_template_has_its_english_translation_with_the_same_placeholders() -> None:
    with catalog_path("en").open("rb") as handle:
        catalog = {message.id: message.string for message in read_po(handle) if message.id}
    for template in [*NOTES.values(), *SEPARATORS.values()]:
        english = catalog.get(template)
        assert english, template
        assert sorted(re.findall(r"%\(\w+\)\w|%%", english)) == sorted(re.findall(r"%\(\w+\)\w|%%", template))


@pytest.mark.parametrize(
    ("key", "params", "chinese", "english"),
    [
        (
            "dispatch.assigned",
            {
                "username": "tech_ok",
                "reason": {"key": "dispatch.reachable", "params": {"minutes": "1", "jobs": 0}},
                "km": 0.5,
            },
            ASSIGNED_ZH,
            ASSIGNED_EN,
        ),
        (
            "dispatch.nobody_fits",
            {
                "reasons": {
                    "join": "；",
                    "items": [
                        {
                            "key": "dispatch.candidate",
                            "params": {"username": "tech_a", "reason": {"key": "dispatch.off_shift"}},
                        },
                        {
                            "key": "dispatch.candidate",
                            "params": {
                                "username": "tech_b",
                                "reason": {"key": "dispatch.skill_mismatch", "params": {"skill": "lock:repair"}},
                            },
                        },
                    ],
                }
            },
            "自动派单未找到合适人选，转调度台：tech_a：不在班；tech_b：技能不符（需要 lock:repair）",
            "Auto-dispatch found nobody suitable, sent to the dispatcher queue: "
            "tech_a: off shift; tech_b: lacks the skill (needs lock:repair)",
        ),
        (
            "sla.warning",
            {"target": {"label": "sla_target", "value": "first_response"}, "due_at": "2026-11-22 10:30"},
            "首次联系即将超时（已用 80% 时限），时限 2026-11-22 10:30",
            "First contact almost due (80% of the time used), due 2026-11-22 10:30",
        ),
        (
            "fieldwork.checked_out_unfinished_with_note",
            {"duration": {"key": "duration.hours_minutes", "params": {"h": 1, "m": 5}}, "note": "等配件"},
            "离场签退，现场停留 1小时5分；尚未完成，需再次上门；等配件",
            "Checked out after 1h 5m on site; not finished, another visit is needed; 等配件",
        ),
        (
            "promise.made_for_departments",
            {
                "promise": "明天回电",
                "owner": "王五",
                "due_at": {"key": "date.month_day_time", "params": {"month": "11", "day": "23", "time": "12:00"}},
                "departments": {
                    "join": "、",
                    "items": [{"key": "department.warehouse"}, {"key": "department.logistics"}],
                },
            },
            "承诺：明天回电（负责人 王五，11月23日 12:00 前，仓储、物流配送）",
            "Promise: 明天回电 (owner 王五, by 11/23 12:00, Warehouse, Logistics)",
        ),
    ],
)
def test_a_key_renders_in_both_languages(key: str, params: dict[str, Any], chinese: str, english: str) -> None:
    assert render_note(key, params, _same) == chinese
    assert render_note(key, params, ENGLISH) == english


def test_the_stored_note_is_shown_without_a_fitting_key() -> None:
    assert event_note(_event("客户下午在家", None), "en") == "客户下午在家"
    assert event_note(_event("客户下午在家", {"渠道": "电话"}), "en") == "客户下午在家"
    assert event_note(_event("旧说明", {"note_key": "no.such_key", "note_params": {}}), "en") == "旧说明"
    assert event_note(_event("旧说明", {"note_key": "dispatch.assigned", "note_params": {"username": "x"}}), "en") == (
        "旧说明"
    )
    keyed = {"note_key": "fieldwork.accepted", "note_params": {"note": ""}}
    assert (event_note(_event("已接单", keyed), "zh_CN"), event_note(_event("已接单", keyed), "en")) == (
        "已接单",
        "Accepted",
    )


def test_the_console_timeline_shows_a_dispatch_decision_in_the_page_language(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    tree = factories.organisation_tree(db, clock=clock, city="深圳市")
    factories.service_point(db, organisation_id=tree.service_center.id)
    factories.technician(db, clock=clock, username="tech_ok", organisation_code=tree.service_center.code)
    factories.user(db, clock=clock, role=Role.AGENT, username="agent_en")
    ticket = factories.ticket(db, clock=clock)
    decided = dispatch_service.auto_dispatch(db, clock=clock, actor=SYSTEM_ACTOR, ticket_id=ticket.id)
    db.commit()
    event = db.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.type == "dispatch")
    ).one()
    assert (decided.assigned_to, event.note, event.data["note_key"] if event.data else None) == (
        "tech_ok",
        ASSIGNED_ZH,
        "dispatch.assigned",
    )

    csrf = console_login(client, db, "agent_en")
    chinese = client.get(f"/console/tickets/{ticket.id}").text
    assert ASSIGNED_ZH in chinese and ASSIGNED_EN not in chinese
    assert "指派给" in chinese  # the assign event's own note, also keyed

    switched = client.post("/console/language", data={"locale": "en", "csrf_token": csrf}, follow_redirects=False)
    assert switched.status_code == 303
    english = client.get(f"/console/tickets/{ticket.id}").text
    assert ASSIGNED_EN in english and ASSIGNED_ZH not in english
    assert "Assigned to " in english and "指派给" not in english
