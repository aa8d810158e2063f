"""Dashboard figures on real tickets: a small timeline of tickets in three cities, moved through their
lifecycle with the frozen clock, then counted by ``analytics.service`` with exact expectations."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from aftersales.analytics import queries, rules, service
from aftersales.analytics.schemas import Region, SlaCompliance
from aftersales.core.clock import FrozenClock
from aftersales.tickets.enums import Priority, TicketKind
from tests.analytics.scenario import NOW, SHENZHEN, Scenario, build_scenario, open_ticket

PERIOD = {"start": date(2026, 11, 20), "end": date(2026, 11, 22)}


@pytest.fixture
def scenario(db: Session, clock: FrozenClock) -> Scenario:
    return build_scenario(db, clock)


def _hours(*indices: int) -> list[int]:
    values = [0] * 24
    for index in indices:
        values[index] += 1
    return values


def test_dashboard_for_a_province_counts_only_its_tickets_of_the_period(db: Session, scenario: Scenario) -> None:
    board = service.dashboard(db, now=NOW, region="广东省", **PERIOD)
    assert (board.start, board.end, board.today, board.region) == (*PERIOD.values(), date(2026, 11, 22), "广东省")
    # B 09h, H 10h on the 20th; C 08h, I 14h, D 23h on the 21st; E at 00:30 on the 22nd (16:30 UTC on the 21st).
    assert board.volume_by_hour == _hours(9, 10, 8, 14, 23, 0)
    assert board.volume_by_day == [(date(2026, 11, 20), 2), (date(2026, 11, 21), 3), (date(2026, 11, 22), 1)]
    assert board.total == 6
    assert board.sla_compliance == {
        "urgent": SlaCompliance(met=3, breached=3, running=0),  # B all met, C all breached
        "routine": SlaCompliance(met=1, breached=0, running=3),  # D contacted; I untouched (H cancelled: left out)
        "complex": SlaCompliance(met=1, breached=0, running=1),  # E contacted, resolution paused
    }
    assert [item.rate for item in board.sla_compliance.values()] == [0.5, 1.0, 1.0]
    assert (board.compliance.met, board.compliance.breached, board.compliance.rate) == (5, 3, 0.625)
    assert (board.breached_tickets, board.breached_share) == (1, 0.1667)
    # The backlog is now's, whatever the period: A (reported before it) is still open.
    assert board.backlog_by_status == {"registered": 3, "in_progress": 1, "on_hold": 1, "resolved": 0, "visited": 0}
    assert board.open == 5
    assert board.breaches_today == 1  # C's resolution at 08:30; its other breaches were yesterday
    assert board.top_fault_types == [
        ("电池/电量", 2),
        ("其他投诉", 1),
        ("漏水/进水", 1),
        ("被锁门外/无法开门", 1),
        ("锁体松动", 1),  # from triage, not from the description
    ]


def test_dashboard_for_a_city(db: Session, scenario: Scenario) -> None:
    board = service.dashboard(db, now=NOW, region="深圳市", **PERIOD)
    assert board.volume_by_day == [(date(2026, 11, 20), 1), (date(2026, 11, 21), 1), (date(2026, 11, 22), 1)]
    assert board.backlog_by_status == {"registered": 1, "in_progress": 1, "on_hold": 1, "resolved": 0, "visited": 0}
    assert (board.breaches_today, board.breached_tickets) == (0, 0)
    assert board.sla_compliance["urgent"] == SlaCompliance(met=3, breached=0, running=0)
    assert board.top_fault_types == [("其他投诉", 1), ("被锁门外/无法开门", 1), ("锁体松动", 1)]


def test_dashboard_for_all_regions(db: Session, scenario: Scenario) -> None:
    board = service.dashboard(db, now=NOW, **PERIOD)
    assert board.total == 8
    assert board.volume_by_hour == _hours(9, 10, 8, 14, 23, 0, 9, 9)  # + F and G at 09h
    assert board.sla_compliance["urgent"] == SlaCompliance(met=3, breached=6, running=0)
    assert (board.breached_tickets, board.breached_share) == (2, 0.25)
    assert board.breaches_today == 2  # C at 08:30 and F at 09:00
    assert board.backlog_by_status["registered"] == 5
    assert ("指纹识别", 1) in board.top_fault_types  # F; G is a consultation, not a fault
    assert sum(count for _name, count in board.top_fault_types) == 7


def test_period_bounds_are_local_dates(db: Session, scenario: Scenario) -> None:
    board = service.dashboard(db, now=NOW, start=date(2026, 11, 22), end=date(2026, 11, 22), region="广东省")
    assert board.volume_by_day == [(date(2026, 11, 22), 1)]  # only E (00:30 local, still the 21st in UTC)
    assert board.volume_by_hour == _hours(0)
    earlier = service.dashboard(db, now=NOW, start=date(2026, 11, 19), end=date(2026, 11, 19), region="广东省")
    assert earlier.total == 1  # A at 23:30 local
    assert earlier.sla_compliance["routine"] == SlaCompliance(met=0, breached=2, running=0)
    assert earlier.top_fault_types == [("指纹识别", 1)]


def test_an_empty_period_gives_zeros_not_errors(db: Session, scenario: Scenario) -> None:
    board = service.dashboard(db, now=NOW, start=date(2026, 1, 1), end=date(2026, 1, 2), region="北京市")
    assert (board.total, board.volume_by_day) == (0, [(date(2026, 1, 1), 0), (date(2026, 1, 2), 0)])
    assert board.sla_compliance == dict.fromkeys(("urgent", "routine", "complex"), SlaCompliance(0, 0, 0))
    assert (board.breached_share, board.compliance.rate, board.top_fault_types) == (None, None, [])
    assert board.backlog_by_status["registered"] == 1  # G, reported today


def test_regions_list_provinces_with_their_cities(db: Session, scenario: Scenario) -> None:
    found = service.regions(db)
    assert found == [
        Region(province="上海市", cities=()),
        Region(province="北京市", cities=()),
        Region(province="广东省", cities=("广州市", "深圳市")),
    ]
    assert service.region_names(found) == {"上海市", "北京市", "广东省", "广州市", "深圳市"}


@contextmanager
def _statements(db: Session) -> Iterator[list[str]]:
    seen: list[str] = []
    connection = db.connection()

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", record)


def test_the_dashboard_is_five_aggregate_queries_whatever_the_ticket_count(db: Session, scenario: Scenario) -> None:
    with _statements(db) as seen:
        service.dashboard(db, now=NOW, region="广东省", **PERIOD)
    # Which dates are rolled up (none here), then five aggregates: compliance and breached tickets share
    # one pass over the targets.
    assert len(seen) == 6
    assert "FROM analytics_rollup_days" in seen[0]
    assert all("GROUP BY" in statement or "count(" in statement.lower() for statement in seen[1:])


def test_keyword_classification_in_sql_matches_the_rules(db: Session, clock: FrozenClock) -> None:
    texts = [
        "YL-S7指纹识别失败，现在只能用密码开门",
        "门锁一直提示电量低，换了新电池还是提示低电量",
        "被锁门外了！密码和指纹都打不开",
        "门锁半夜突然防撬报警，拆下电池才停",
        "管理员密码忘记了，没法添加新指纹",
        "猫眼黑屏，门铃也不响",
        "在 APP 上一直显示离线，临时密码发不了",
        "换了路由器以后门锁连不上WiFi了",
        "门锁把手松动下垂，锁舌有时候不回弹",
        "开门的时候电机声音很大，咔咔响",
        "孩子的手表进水了，屏幕有雾气，开不了机",
        "平板屏幕摔碎了，触摸失灵",
        "手表打不了电话，一直显示无服务",
        "净水器不出水了",
        "晾衣机升降卡住了，遥控没反应",
        "客服电话一直打不通，等了二十多分钟",
    ]
    for number, text in enumerate(texts):
        open_ticket(
            db,
            clock,
            NOW,
            address=SHENZHEN,
            kind=TicketKind.REPAIR,
            priority=Priority.ROUTINE,
            description=text,
            phone=f"1390013{9000 + number:04d}",
        )
    expected = Counter(
        rules.fault_name(fault.code if (fault := rules.classify_fault(text)) else None, "repair") for text in texts
    )
    found = queries.fault_counts(db, queries.reported_between(date(2026, 11, 22), date(2026, 11, 22)))
    got = Counter({rules.fault_name(fault, kind): count for _province, _city, fault, kind, count in found})
    assert got == expected
    assert expected["网络/App 连接"] == 2 and expected["其他报修"] == 1
