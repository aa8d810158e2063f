"""Pure quality rules: stratified sampling (the issue's acceptance over 1,000 closed tickets), quota
allocation, self-check validation, grading, rectification state, rollups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from aftersales.quality import rules
from aftersales.quality.rules import SampleUnit

# Six providers of very uneven size plus a few unassigned tickets: 1,000 closed tickets.
SIZES = {"org:1": 430, "org:2": 250, "org:3": 150, "org:4": 100, "org:5": 50, "org:6": 15, "unassigned": 5}


def _population() -> list[SampleUnit]:
    units, next_id = [], 1
    for stratum, size in SIZES.items():
        for _ in range(size):
            units.append(SampleUnit(next_id * 7 + 3, stratum))  # ids need not be dense
            next_id += 1
    return units


@pytest.mark.parametrize(("level", "expected"), [("regional", 200), ("hq", 50)])
def test_over_1000_closed_tickets_the_sample_hits_the_rate_and_covers_every_provider(level: str, expected: int) -> None:
    population = _population()
    assert len(population) == 1000
    rate = rules.SAMPLE_RATES[level]
    for seed in range(50):
        sample = rules.stratified_sample(population, rate=rate, seed=seed, salt=level)
        assert len(sample) == expected  # 20 % ± 2 % and 5 % ± 1 %: exactly on target here
        assert {unit.stratum for unit in sample} == set(SIZES)
        assert len({unit.ticket_id for unit in sample}) == expected
        assert {(unit.ticket_id, unit.stratum) for unit in sample} <= {(u.ticket_id, u.stratum) for u in population}


def test_the_sample_is_reproducible_by_seed_and_changes_with_it() -> None:
    population = _population()
    rate = rules.SAMPLE_RATES["regional"]
    first = rules.stratified_sample(population, rate=rate, seed=20261129, salt="regional")
    again = rules.stratified_sample(list(reversed(population)), rate=rate, seed=20261129, salt="regional")
    other = rules.stratified_sample(population, rate=rate, seed=20261130, salt="regional")
    assert first == again  # the order the tickets come in does not matter
    assert [u.ticket_id for u in first] != [u.ticket_id for u in other]
    hq = rules.stratified_sample(population, rate=rules.SAMPLE_RATES["hq"], seed=20261129, salt="hq")
    assert not {u.ticket_id for u in hq} <= {u.ticket_id for u in first}  # HQ draws independently


def test_each_providers_draw_does_not_depend_on_the_others() -> None:
    population = _population()
    rate = rules.SAMPLE_RATES["regional"]
    full = rules.stratified_sample(population, rate=rate, seed=7, salt="regional")
    alone = rules.stratified_sample([u for u in population if u.stratum == "org:2"], rate=rate, seed=7, salt="regional")
    assert [u for u in full if u.stratum == "org:2"] == alone


@pytest.mark.parametrize(
    ("sizes", "rate", "expected"),
    [
        ({"a": 10, "b": 10}, Fraction(1, 5), {"a": 2, "b": 2}),
        ({"a": 7, "b": 3}, Fraction(1, 5), {"a": 1, "b": 1}),  # 1.4 + 0.6 = 2: largest remainder
        ({"a": 95, "b": 3, "c": 2}, Fraction(1, 20), {"a": 3, "b": 1, "c": 1}),  # coverage paid for by a
        ({"a": 1, "b": 1, "c": 1}, Fraction(1, 20), {"a": 1, "b": 1, "c": 1}),  # coverage wins over the rate
        ({"a": 5, "b": 0}, Fraction(1, 1), {"a": 5}),
        ({"a": 430, "b": 250, "c": 150, "d": 100, "e": 50, "f": 15, "g": 5}, Fraction(1, 20),
         {"a": 21, "b": 13, "c": 7, "d": 5, "e": 2, "f": 1, "g": 1}),
    ],
)  # fmt: skip
def test_quota_allocation(sizes: dict[str, int], rate: Fraction, expected: dict[str, int]) -> None:
    assert rules.allocate(sizes, rate) == expected


def test_a_rate_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="rate"):
        rules.allocate({"a": 1}, Fraction(0))


def test_the_default_checklist_by_kind() -> None:
    installation = [item.code for item in rules.applicable_items(rules.DEFAULT_CHECKLIST, "installation")]
    repair = [item.code for item in rules.applicable_items(rules.DEFAULT_CHECKLIST, "repair")]
    five_step = ["shoe_covers", "self_introduction", "diagnosis_explained", "site_protected", "usage_explained"]
    common = [*five_step, "site_cleared", "lock_lubricated", "unlock_tested_three_times"]
    assert installation == [*common, "warranty_explained"]
    assert repair == [*common, "old_parts_returned"]
    assert rules.applicable_items(rules.DEFAULT_CHECKLIST, "consultation") == []


def test_self_check_problems() -> None:
    items = rules.applicable_items(rules.DEFAULT_CHECKLIST, "repair")
    complete = {item.code: True for item in items if item.is_required}
    assert rules.self_check_problems(items, complete) == {}
    assert rules.self_check_problems(items, {**complete, "old_parts_returned": False}) == {}
    missing = {code: value for code, value in complete.items() if code != "lock_lubricated"}
    assert rules.self_check_problems(items, missing) == {"lock_lubricated": "必填检查项「润滑锁体」未填写"}
    assert rules.self_check_problems(items, {**complete, "warranty_explained": True, "shoe_covers": "yes"}) == {
        "warranty_explained": "不是此类工单的检查项",
        "shoe_covers": "须为是或否",
    }


FULL = {"service_standard": 8, "repair_quality": 8, "cleanliness": 8, "communication": 8, "timeliness": 8}


@pytest.mark.parametrize(
    ("changes", "weighted", "passed", "weak"),
    [
        ({}, 8.0, True, ()),
        ({"repair_quality": 10, "timeliness": 6}, 8.3, True, ("timeliness",)),
        ({code: 7 for code in FULL}, 7.0, True, ()),  # exactly on the pass score
        ({"service_standard": 6, "repair_quality": 6}, 6.9, False, ("service_standard", "repair_quality")),
        ({"cleanliness": 3, "repair_quality": 10, "timeliness": 10}, 8.15, False, ("cleanliness",)),  # red line
        ({"cleanliness": 4}, 7.4, True, ("cleanliness",)),
    ],
)
def test_grading(changes: dict[str, int], weighted: float, passed: bool, weak: tuple[str, ...]) -> None:
    assert rules.grade({**FULL, **changes}) == rules.Grade(weighted=weighted, passed=passed, weak=weak)


def test_score_problems() -> None:
    assert rules.score_problems(FULL) == {}
    assert rules.score_problems({**FULL, "timeliness": 11, "cleanliness": True, "charm": 5}) == {
        "charm": "未知的评分项",
        "cleanliness": "「现场清洁」须为 0 到 10 的整数",
        "timeliness": "「时效」须为 0 到 10 的整数",
    }
    assert rules.score_problems({}) == {c.code: f"请为「{c.label}」打分" for c in rules.CRITERIA}


def test_rectification_state() -> None:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    assert rules.rectification_state("open", now + timedelta(hours=1), now) == "open"
    assert rules.rectification_state("open", now - timedelta(seconds=1), now) == "overdue"
    assert rules.rectification_state("done", now - timedelta(days=9), now) == "done"


def test_rollup() -> None:
    results = [
        rules.InspectionResult(1, 8.0, True, FULL),
        rules.InspectionResult(1, 6.0, False, {**FULL, "timeliness": 2}),
        rules.InspectionResult(None, 9.0, True, FULL),
        rules.InspectionResult(2, 7.5, True, FULL),
    ]
    rows = rules.rollup(results)
    assert [(r.key, r.inspections, r.passed, r.pass_rate, r.average_score) for r in rows] == [
        (1, 2, 1, 0.5, 7.0),
        (2, 1, 1, 1.0, 7.5),
        (None, 1, 1, 1.0, 9.0),
    ]
    assert rows[0].criteria["timeliness"] == 5.0 and rows[0].criteria["repair_quality"] == 8.0
