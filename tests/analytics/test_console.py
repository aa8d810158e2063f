"""The dashboard page: who may see it, the filter's errors (never a 500), the charts and their data."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.core.clock import FrozenClock
from tests.analytics.scenario import build_scenario
from tests.conftest import UserFactory, console_login

CHARTS = ("volume_by_day", "volume_by_hour", "sla_compliance", "backlog_by_status", "top_fault_types")


def _signed_in(client: TestClient, db: Session, make_user: UserFactory, role: Role = Role.MANAGER) -> None:
    make_user(role, username="viewer1")
    console_login(client, db, "viewer1")


def _chart_data(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', page, re.S)
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def _errors(page: str) -> list[str]:
    return re.findall(r'<p class="field-error" id="[a-z]+-error" role="alert">([^<]*)</p>', page)


def _input_value(page: str, name: str) -> str:
    match = re.search(rf'<input type="date" id="{name}" name="{name}" value="([^"]*)"', page)
    assert match is not None
    return match.group(1)


def test_page_shows_charts_with_their_data_and_readable_tables(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    build_scenario(db, clock)
    _signed_in(client, db, make_user)
    response = client.get("/console/dashboard", params={"start": "2026-11-20", "end": "2026-11-22", "region": "广东省"})
    assert response.status_code == 200
    page = response.text
    assert _errors(page) == []
    for chart in CHARTS:
        assert re.search(rf'<div class="chart" data-chart="{chart}" role="img" aria-label="[^"]+">', page), chart
    assert '<script src="/static/vendor/echarts-6.1.0.common.min.js' in page
    data = _chart_data(page)
    assert set(data) == set(CHARTS)
    assert data["volume_by_day"]["labels"] == ["2026-11-20", "2026-11-21", "2026-11-22"]
    assert data["volume_by_day"]["series"][0]["values"] == [2, 3, 1]
    assert sum(data["volume_by_hour"]["series"][0]["values"]) == 6
    assert data["sla_compliance"]["labels"] == ["紧急", "常规", "复杂"]
    assert [series["values"] for series in data["sla_compliance"]["series"]] == [[3, 1, 1], [3, 0, 0]]
    assert data["sla_compliance"]["rates"] == [0.5, 1.0, 1.0]
    assert data["backlog_by_status"]["labels"] == ["已登记", "处理中", "挂起", "已反馈结果", "已回访"]
    assert data["backlog_by_status"]["series"][0]["values"] == [3, 1, 1, 0, 0]
    assert data["top_fault_types"]["labels"][0] == "电池/电量"
    # The same figures without JavaScript: key numbers and tables.
    assert re.search(r'data-kpi="total"><span>工单总量</span><strong>6</strong>', page)
    assert re.search(r'data-kpi="open"><span>未闭环工单</span><strong>5</strong>', page)
    assert re.search(r'data-kpi="breaches_today">\s*<span>今日超时</span><strong>1</strong>', page)
    assert re.search(r"<strong>62\.5%</strong>", page)  # SLA compliance: 5 of 8 finished targets
    assert re.search(
        r'<tr data-priority="urgent"><th scope="row">紧急</th><td>3</td><td>3</td><td>0</td><td>50\.0%</td>', page
    )
    assert '<tr data-status="registered"><th scope="row">已登记</th><td>3</td></tr>' in page
    assert "<td>2026-11-21</td><td>3</td>" in page
    assert '<th scope="row">电池/电量</th><td>2</td>' in page
    # The filter keeps what was chosen and lists the regions that have tickets.
    assert (_input_value(page, "start"), _input_value(page, "end")) == ("2026-11-20", "2026-11-22")
    assert '<option value="广东省" selected>广东省（全省）</option>' in page
    assert '<option value="深圳市">深圳市</option>' in page
    assert '<option value="北京市">北京市</option>' in page


def test_default_period_is_the_last_30_days(client: TestClient, db: Session, make_user: UserFactory) -> None:
    _signed_in(client, db, make_user)
    page = client.get("/console/dashboard").text
    assert (_input_value(page, "start"), _input_value(page, "end")) == ("2026-10-24", "2026-11-22")
    assert len(_chart_data(page)["volume_by_day"]["labels"]) == 30
    assert "所选范围内没有报修或投诉工单" in page


@pytest.mark.parametrize(
    ("params", "message", "period"),
    [
        ({"start": "2026-13-45"}, "开始日期无效", ("2026-10-24", "2026-11-22")),
        ({"start": "2026-11-01", "end": "明天"}, "结束日期无效", ("2026-10-24", "2026-11-22")),
        ({"start": "2026-11-21", "end": "2026-11-20"}, "开始日期不能晚于结束日期", ("2026-10-24", "2026-11-22")),
        ({"start": "2020-01-01", "end": "2026-11-22"}, "日期范围最长 366 天", ("2025-11-22", "2026-11-22")),
        ({"start": "0001-01-01", "end": "9999-12-31"}, "开始日期无效", ("2026-10-24", "2026-11-22")),
        ({"start": "x" * 5000}, "开始日期无效", ("2026-10-24", "2026-11-22")),
    ],
)
def test_bad_period_shows_an_error_by_the_filter_and_uses_the_default(
    client: TestClient,
    db: Session,
    make_user: UserFactory,
    params: dict[str, str],
    message: str,
    period: tuple[str, str],
) -> None:
    _signed_in(client, db, make_user)
    response = client.get("/console/dashboard", params=params)
    assert response.status_code == 200
    errors = _errors(response.text)
    assert len(errors) == 1 and message in errors[0]
    assert (_input_value(response.text, "start"), _input_value(response.text, "end")) == period
    assert 'aria-describedby="period-error"' in response.text


def test_unknown_region_shows_an_error_and_all_regions(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    build_scenario(db, clock)
    _signed_in(client, db, make_user)
    response = client.get("/console/dashboard", params={"start": "2026-11-20", "end": "2026-11-22", "region": "火星"})
    assert response.status_code == 200
    assert _errors(response.text) == ["没有“火星”的工单，已显示全部地区"]
    assert sum(_chart_data(response.text)["volume_by_day"]["series"][0]["values"]) == 8
    assert 'aria-describedby="region-error"' in response.text
    hostile = client.get("/console/dashboard", params={"region": "<script>alert(1)</script>"}).text
    assert _errors(hostile) == ["没有“&lt;script&gt;alert(1)&lt;/script&gt;”的工单，已显示全部地区"]
    assert "<script>alert(1)" not in hostile


@pytest.mark.parametrize("role", [Role.MANAGER, Role.INSPECTOR, Role.ADMIN])
def test_managers_inspectors_and_admins_see_the_page(
    client: TestClient, db: Session, make_user: UserFactory, role: Role
) -> None:
    _signed_in(client, db, make_user, role)
    response = client.get("/console/dashboard")
    assert response.status_code == 200
    assert "<h1>经营看板</h1>" in response.text


@pytest.mark.parametrize("role", [Role.AGENT, Role.DISPATCHER, Role.TECHNICIAN, Role.PROVIDER])
def test_other_roles_get_the_403_page(client: TestClient, db: Session, make_user: UserFactory, role: Role) -> None:
    _signed_in(client, db, make_user, role)
    response = client.get("/console/dashboard")
    assert response.status_code == 403
    assert "您的角色无权访问此页面" in response.text
    assert "dashboard-data" not in response.text


def test_anonymous_visitors_are_sent_to_login(client: TestClient) -> None:
    response = client.get("/console/dashboard?region=广东省", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/login?next=%2Fconsole%2Fdashboard")


def test_page_renders_in_english_too(client: TestClient, db: Session, make_user: UserFactory) -> None:
    client.cookies.set("as_lang", "en")
    _signed_in(client, db, make_user)
    response = client.get("/console/dashboard", params={"start": "bad"})
    assert response.status_code == 200
    assert '<html lang="en">' in response.text
    assert len(_errors(response.text)) == 1
