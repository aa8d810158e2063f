"""Return-visit statistics in the console (issue 13 item 1): over a period of local dates (the last 30 days
by default) the visits finished, participation (partly answered surveys count as answered, and how many
there were) and each question's answers and average score, the figures of the participation service;
a chart drawn from a JSON block by a script file (no inline script); bad dates reported beside their
field; only the roles that may read participation; "stats" never taken for a visit id."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import FrozenClock
from aftersales.feedback import flows, rules, visits
from aftersales.feedback.models import ReturnVisit
from aftersales.tickets.enums import Channel, Priority, TicketKind, TicketStatus
from tests import factories
from tests.conftest import console_login, local


def _visit(db: Session, clock: FrozenClock) -> ReturnVisit:
    """The visit of a resolved web consultation: overall, attitude, problem solving and outcome are asked."""
    ticket = factories.ticket_in_status(
        db,
        clock=clock,
        status=TicketStatus.RESOLVED,
        kind=TicketKind.CONSULTATION,
        channel=Channel.WEB,
        priority=Priority.ROUTINE,
    )
    return factories.return_visit(db, clock=clock, ticket_id=ticket.id)


def _answer(db: Session, clock: FrozenClock, actor: Actor, scores: dict[str, object]) -> None:
    visit = _visit(db, clock)
    flows.submit_survey(db, clock=clock, actor=actor, visit=visit, scores=scores, comment=None, source="phone")


@pytest.fixture
def figures(db: Session, clock: FrozenClock) -> None:
    """Today (2026-11-22): one full survey, two partly answered, one visit that never reached the customer;
    on 2026-10-01, outside the default 30 days, one more survey, partly answered."""
    caller = factories.user(db, clock=clock, role=Role.AGENT, username="st_caller")
    for name, role in (("st_lead", Role.MANAGER), ("st_qc", Role.INSPECTOR), ("st_admin", Role.ADMIN)):
        factories.user(db, clock=clock, role=role, username=name)
    now = clock.now()
    clock.set(local(2026, 10, 1, 15))
    _answer(db, clock, caller.actor, {"overall": 5})
    clock.set(now)
    _answer(db, clock, caller.actor, {"overall": 4, "attitude": 5, "problem_solving": 3, "outcome": 4})
    _answer(db, clock, caller.actor, {"overall": 5})
    _answer(db, clock, caller.actor, {"overall": 3, "attitude": 4})
    unreachable = _visit(db, clock)
    for _ in range(rules.MAX_ATTEMPTS):
        visits.record_attempt(db, clock=clock, actor=caller.actor, visit_id=unreachable.id, outcome="no_answer")
    db.commit()


def _kpis(html: str) -> dict[str, str]:
    """Each figure's tile: its text without tags."""
    tiles = re.findall(r'<div class="kpi" data-kpi="(\w+)">(.*?)</div>', html, re.S)
    return {name: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip() for name, body in tiles}


def _questions(html: str) -> list[tuple[str, str, str, str]]:
    rows = re.findall(
        r'<tr data-question="(\w+)"><th scope="row">([^<]+)</th><td>(\d+)</td><td>([^<]+)</td></tr>', html
    )
    return [tuple(row) for row in rows]


def _chart(html: str) -> dict[str, object]:
    match = re.search(r'<script type="application/json" id="visit-stats-data">(.*?)</script>', html, re.S)
    assert match is not None
    data: dict[str, object] = json.loads(match.group(1))
    return data


def test_the_last_30_days_by_default_with_participation_and_each_questions_figures(
    client: TestClient, db: Session, figures: None
) -> None:
    console_login(client, db, "st_lead")
    page = client.get("/console/visits/stats")
    assert page.status_code == 200, page.text
    assert 'value="2026-10-24"' in page.text and 'value="2026-11-22"' in page.text
    assert "回访完成时间：2026-10-24 至 2026-11-22（北京时间）" in page.text
    assert _kpis(page.text) == {
        "finished": "已结束回访 4",
        "done": "客户作答 3 其中部分作答 2 份",
        "unreachable": "未联系上 1",
        "participation": "参与率 75.0% 部分作答的问卷计为已作答",
    }
    assert _questions(page.text) == [
        ("overall", "总体满意度", "3", "4.00"),
        ("ivr", "语音导航是否清楚", "0", "—"),
        ("reach_human", "转人工是否顺畅", "0", "—"),
        ("attitude", "服务态度", "2", "4.50"),
        ("punctuality", "上门准时", "0", "—"),
        ("tidiness", "现场整洁", "0", "—"),
        ("problem_solving", "问题解决能力", "1", "3.00"),
        ("outcome", "处理结果", "1", "4.00"),
    ]
    assert _chart(page.text) == {
        "labels": [
            "总体满意度",
            "语音导航是否清楚",
            "转人工是否顺畅",
            "服务态度",
            "上门准时",
            "现场整洁",
            "问题解决能力",
            "处理结果",
        ],
        "average": {"name": "平均分", "values": [4.0, None, None, 4.5, None, None, 3.0, 4.0]},
        "answers": {"name": "作答数", "values": [3, 0, 0, 2, 0, 0, 1, 1]},
    }
    # The chart is drawn by a script file; the only script without a source is the JSON it reads.
    assert 'data-chart="visit_stats"' in page.text
    assert '<script src="/static/js/visitstats.js' in page.text and "/static/vendor/echarts-" in page.text
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page.text)
    assert inline == [' type="application/json" id="visit-stats-data"']


def test_a_chosen_period_counts_only_the_visits_finished_in_it(client: TestClient, db: Session, figures: None) -> None:
    console_login(client, db, "st_lead")
    october = client.get("/console/visits/stats?start=2026-10-01&end=2026-10-01")
    assert _kpis(october.text) == {
        "finished": "已结束回访 1",
        "done": "客户作答 1 其中部分作答 1 份",
        "unreachable": "未联系上 0",
        "participation": "参与率 100.0% 部分作答的问卷计为已作答",
    }
    assert _questions(october.text)[0] == ("overall", "总体满意度", "1", "5.00")
    # The last day is included whole; a day with nothing finished shows dashes and no chart.
    both = client.get("/console/visits/stats?start=2026-10-01&end=2026-11-22")
    assert _kpis(both.text)["finished"] == "已结束回访 5"
    empty = client.get("/console/visits/stats?start=2026-11-21&end=2026-11-21")
    assert _kpis(empty.text)["participation"] == "参与率 — 部分作答的问卷计为已作答"
    assert 'data-chart="visit_stats"' not in empty.text and "所选时段内没有结束的回访。" in empty.text


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("start=2026-13-01&end=2026-11-22", "start", "开始日期无效，请按 年-月-日 填写；已显示最近 30 天"),
        ("start=2026-11-01&end=yesterday", "end", "结束日期无效，请按 年-月-日 填写；已显示最近 30 天"),
        ("start=2026-11-22&end=2026-11-01", "end", "开始日期不能晚于结束日期；已显示最近 30 天"),
        ("start=2025-01-01&end=2026-11-22", "end", "时间范围不能超过 366 天；已显示最近 30 天"),
        ("start=0001-01-01&end=2026-11-22", "start", "开始日期无效，请按 年-月-日 填写；已显示最近 30 天"),
    ],
)
def test_a_bad_period_is_reported_beside_its_field_and_the_default_shown(
    client: TestClient, db: Session, figures: None, query: str, field: str, message: str
) -> None:
    console_login(client, db, "st_lead")
    page = client.get(f"/console/visits/stats?{query}")
    assert page.status_code == 200, page.text
    assert f'<p class="field-error" id="{field}-error" role="alert">{message}</p>' in page.text
    assert f'aria-invalid="true" aria-describedby="{field}-error"' in page.text
    assert "回访完成时间：2026-10-24 至 2026-11-22（北京时间）" in page.text
    assert _kpis(page.text)["finished"] == "已结束回访 4"


@pytest.mark.parametrize("username", ["st_caller", "st_lead", "st_qc", "st_admin"])
def test_the_roles_that_read_participation_see_the_page(
    client: TestClient, db: Session, figures: None, username: str
) -> None:
    console_login(client, db, username)
    assert client.get("/console/visits/stats").status_code == 200


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.TECHNICIAN, Role.PROVIDER])
def test_other_roles_are_refused(client: TestClient, db: Session, clock: FrozenClock, role: Role) -> None:
    made = factories.user(db, clock=clock, role=role, username=f"st_{role.value}")
    db.commit()
    console_login(client, db, made.user.username)
    refused = client.get("/console/visits/stats")
    assert refused.status_code == 403 and "您的角色无权访问此页面" in refused.text


def test_the_queue_links_to_the_page_and_visit_ids_still_route(
    client: TestClient, db: Session, clock: FrozenClock, figures: None
) -> None:
    console_login(client, db, "st_caller")
    queue = client.get("/console/visits")
    assert 'href="/console/visits/stats">回访统计</a>' in queue.text
    visit = _visit(db, clock)
    db.commit()
    assert client.get(f"/console/visits/{visit.id}").status_code == 200
    assert client.get("/console/visits/987654").status_code == 404


def test_the_english_page_is_translated(client: TestClient, db: Session, figures: None) -> None:
    csrf = console_login(client, db, "st_lead")
    client.post("/console/language", data={"csrf_token": csrf, "locale": "en"})
    page = client.get("/console/visits/stats")
    assert _kpis(page.text)["done"] == "Answered by the customer 3 of which 2 partly answered"
    visible = re.sub(r"<script.*?</script>|<[^>]+>", " ", page.text, flags=re.S)
    visible = visible.replace("中文", "").replace(factories.DISPLAY_NAMES[Role.MANAGER], "")  # a language, a name
    assert re.findall(r"[\u4e00-\u9fff]+", visible) == []
