"""Pure dashboard rules: the reporting period from filter text, local-time folding, fault keywords."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from aftersales.analytics import rules
from aftersales.analytics.rules import RangeProblem, ReportingPeriod

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (None, None, ReportingPeriod(date(2026, 10, 24), TODAY)),
        ("", "  ", ReportingPeriod(date(2026, 10, 24), TODAY)),
        ("2026-11-01", "2026-11-15", ReportingPeriod(date(2026, 11, 1), date(2026, 11, 15))),
        (" 2026-11-22 ", "2026-11-22", ReportingPeriod(TODAY, TODAY)),
        ("2026-11-10", None, ReportingPeriod(date(2026, 11, 10), TODAY)),
        (None, "2026-06-30", ReportingPeriod(date(2026, 6, 1), date(2026, 6, 30))),
        ("2026-13-45", "2026-11-15", ReportingPeriod(date(2026, 10, 24), TODAY, (RangeProblem.INVALID_START,))),
        ("2026-11-01", "昨天", ReportingPeriod(date(2026, 10, 24), TODAY, (RangeProblem.INVALID_END,))),
        (
            "x",
            "y",
            ReportingPeriod(date(2026, 10, 24), TODAY, (RangeProblem.INVALID_START, RangeProblem.INVALID_END)),
        ),
        ("1999-12-31", "2026-11-15", ReportingPeriod(date(2026, 10, 24), TODAY, (RangeProblem.INVALID_START,))),
        ("2026-11-01", "9999-12-31", ReportingPeriod(date(2026, 10, 24), TODAY, (RangeProblem.INVALID_END,))),
        ("2026-11-20", "2026-11-19", ReportingPeriod(date(2026, 10, 24), TODAY, (RangeProblem.START_AFTER_END,))),
        ("2025-11-22", "2026-11-22", ReportingPeriod(date(2025, 11, 22), TODAY)),  # 366 days: allowed
        ("2025-11-21", "2026-11-22", ReportingPeriod(date(2025, 11, 22), TODAY, (RangeProblem.TOO_LONG,))),
        ("2020-01-01", "2026-11-22", ReportingPeriod(date(2025, 11, 22), TODAY, (RangeProblem.TOO_LONG,))),
    ],
)
def test_resolve_period(start: str | None, end: str | None, expected: ReportingPeriod) -> None:
    assert rules.resolve_period(start, end, today=TODAY) == expected


def test_period_length_is_inclusive() -> None:
    assert rules.resolve_period(None, None, today=TODAY).days == rules.DEFAULT_RANGE_DAYS
    assert rules.resolve_period("2020-01-01", None, today=TODAY).days == rules.MAX_RANGE_DAYS


def test_utc_bounds_are_local_midnights() -> None:
    assert rules.utc_bounds(date(2026, 11, 20), date(2026, 11, 22)) == (
        datetime(2026, 11, 19, 16, tzinfo=UTC),
        datetime(2026, 11, 22, 16, tzinfo=UTC),
    )


def test_fold_hourly_counts_shifts_utc_hours_into_local_hours_and_dates() -> None:
    counts = [
        (datetime(2026, 11, 19, 15, tzinfo=UTC), 4),  # 11-19 23:00 local: before the period
        (datetime(2026, 11, 19, 16, tzinfo=UTC), 2),  # 11-20 00:00 local
        (datetime(2026, 11, 20, 1, tzinfo=UTC), 3),  # 11-20 09:00 local
        (datetime(2026, 11, 21, 15, tzinfo=UTC), 1),  # 11-21 23:00 local
        (datetime(2026, 11, 21, 16, tzinfo=UTC), 5),  # 11-22 00:00 local: UTC date is still the 21st
        (datetime(2026, 11, 22, 16, tzinfo=UTC), 7),  # 11-23 00:00 local: after the period
    ]
    volume = rules.fold_hourly_counts(counts, start=date(2026, 11, 20), end=date(2026, 11, 22))
    expected_hours = [0] * 24
    expected_hours[0], expected_hours[9], expected_hours[23] = 7, 3, 1
    assert volume.by_hour == expected_hours
    assert volume.by_day == [(date(2026, 11, 20), 5), (date(2026, 11, 21), 1), (date(2026, 11, 22), 5)]
    assert volume.total == 11


def test_fold_hourly_counts_lists_every_day_even_without_tickets() -> None:
    volume = rules.fold_hourly_counts([], start=date(2026, 2, 27), end=date(2026, 3, 1))
    assert volume.by_day == [(date(2026, 2, 27), 0), (date(2026, 2, 28), 0), (date(2026, 3, 1), 0)]
    assert volume.by_hour == [0] * 24


@pytest.mark.parametrize(
    ("part", "whole", "expected"), [(0, 0, None), (3, 6, 0.5), (1, 6, 0.1667), (2, 3, 0.6667), (5, 5, 1.0)]
)
def test_rate(part: int, whole: int, expected: float | None) -> None:
    assert rules.rate(part, whole) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("YL-S7指纹识别失败，试了好几次都提示验证失败，现在只能用密码开门", "fingerprint"),
        ("门锁一直提示电量低，换了新电池还是提示低电量", "battery"),
        ("YL-S7换电池后屏幕不亮，是不是锁坏了", "battery"),
        ("被锁门外了！YL-S7密码和指纹都打不开，家里还有小孩，请尽快派人", "locked_out"),
        ("晚上回家门锁没电，开不了门，被锁门外，应急充电宝也没带", "locked_out"),
        ("门锁半夜突然防撬报警，拆下电池才停，担心有人撬锁", "alarm"),
        ("管理员密码忘记了，没法添加新指纹，怎么恢复？", "password_forgotten"),
        ("猫眼黑屏，室内屏偶尔闪一下就没了，门铃也不响", "peephole"),
        ("刷脸开门没反应，提示请靠近，靠近了还是不行", "face"),
        ("门锁把手松动下垂，锁舌有时候不回弹，门关不严", "lock_body"),
        ("YL-S7开门的时候电机声音很大，咔咔响，有时候开到一半卡住", "noise"),
        ("YL-S7在 APP 上一直显示离线，临时密码发不了，远程开锁也用不了", "network"),
        ("家里换了路由器，门锁连不上 WiFi", "network"),
        ("孩子的平板无法开机，充电也没反应", "no_power_on"),
        ("孩子的手表进水了，屏幕有雾气，开不了机", "water"),
        ("平板屏幕摔碎了，触摸失灵，想问维修多少钱", "screen"),
        ("平板充不进电", "charging"),
        ("手表打不了电话，一直显示无服务", "location_call"),
        ("净水器接头一直滴水，已经关了进水阀", "water"),
        ("净水器不出水了，龙头拧开只有一点点", "water_flow"),
        ("晾衣机升降卡住了，一边高一边低，遥控没反应", "lifting"),
        ("密码键盘有几个数字按不动", "password"),
    ],
)
def test_classify_fault_first_matching_entry_wins(text: str, code: str) -> None:
    fault = rules.classify_fault(text)
    assert fault is not None and fault.code == code


@pytest.mark.parametrize("text", ["客服电话一直打不通，等了二十多分钟，非常不满意", "投诉安装师傅把门划花了", ""])
def test_classify_fault_none_when_no_keyword(text: str) -> None:
    assert rules.classify_fault(text) is None


def test_fault_keywords_are_lower_case_unique_codes_and_free_of_like_wildcards() -> None:
    codes = [fault.code for fault in rules.FAULT_TYPES]
    assert len(codes) == len(set(codes))
    for fault in rules.FAULT_TYPES:
        assert fault.keywords
        for keyword in fault.keywords:
            assert keyword == keyword.lower() and keyword.strip() == keyword and keyword
            assert not set(keyword) & {"%", "_", "\\"}


@pytest.mark.parametrize(
    ("value", "kind", "name"),
    [
        ("battery", "repair", "电池/电量"),
        ("锁体松动", "repair", "锁体松动"),
        (" 锁体松动 ", "complaint", "锁体松动"),
        (None, "repair", "其他报修"),
        ("", "complaint", "其他投诉"),
        ("  ", "repair", "其他报修"),
        (None, "installation", "其他"),
    ],
)
def test_fault_name(value: str | None, kind: str, name: str) -> None:
    assert rules.fault_name(value, kind) == name


def test_top_counts_merges_by_name_and_breaks_ties_by_name() -> None:
    counts = [("b", 2), ("a", 1), ("c", 3), ("a", 2), ("d", 1), ("e", 1)]
    assert rules.top_counts(counts) == [("a", 3), ("c", 3), ("b", 2), ("d", 1), ("e", 1)]
    assert rules.top_counts(counts, limit=2) == [("a", 3), ("c", 3)]
