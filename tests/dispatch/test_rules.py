"""Who may take a job: skill, area, shift, capacity, on-site deadline — never a wrong technician."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from aftersales.dispatch.network import rules

NANSHAN = (113.93, 22.53)  # Shenzhen Nanshan
FUTIAN = (114.05, 22.54)  # ~12 km east
NOW_UTC = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
NOW_LOCAL = datetime(2026, 11, 23, 10, 0)
TRAVEL = rules.StraightLineTravel("urban")


def tech(**overrides: object) -> rules.TechnicianView:
    base: dict[str, object] = {
        "user_id": 1,
        "username": "tech01",
        "skills": frozenset({"lock:repair", "lock:installation"}),
        "position": NANSHAN,
        "shift_start": time(8, 0),
        "shift_end": time(18, 0),
        "days_off": frozenset(),
        "max_jobs": 8,
        "jobs_today": 2,
        "area_adcodes": frozenset({"440305"}),
        "area_center": None,
        "area_radius_km": None,
    }
    base.update(overrides)
    return rules.TechnicianView(**base)  # type: ignore[arg-type]


JOB = rules.JobView(kind="repair", product_model="YL-F3", adcode="440305", position=(113.95, 22.54), onsite_due_at=None)


@pytest.mark.parametrize(
    ("overrides", "job", "reason"),
    [
        ({}, JOB, None),
        ({"skills": frozenset({"tablet:repair"})}, JOB, "技能不符（需要 lock:repair）"),
        ({"area_adcodes": frozenset({"440304"})}, JOB, "不在服务区域"),
        ({"shift_start": time(12, 0)}, JOB, "不在班"),
        ({"days_off": frozenset({date(2026, 11, 23)})}, JOB, "不在班"),
        ({"jobs_today": 8}, JOB, "今日已满负荷（8/8）"),
        ({"point_hours": (time(14, 0), time(20, 0))}, JOB, "网点未营业"),
        (
            {"point_hours": (time(8, 0), time(20, 0)), "point_load": 30, "point_capacity": 30},
            JOB,
            "网点接单已满（30/30）",
        ),
        ({"point_hours": (time(8, 0), time(20, 0)), "point_load": 29, "point_capacity": 30}, JOB, None),
        (
            {"position": FUTIAN},
            rules.JobView("repair", "YL-F3", "440305", (113.95, 22.54), NOW_UTC + timedelta(minutes=10)),
            "无法在上门时限前到达",
        ),
        ({"area_adcodes": frozenset(), "area_center": NANSHAN, "area_radius_km": 8.0}, JOB, None),
        ({"area_adcodes": frozenset(), "area_center": FUTIAN, "area_radius_km": 5.0}, JOB, "不在服务区域"),
        (
            {"skills": frozenset({"lock:installation"})},
            rules.JobView("repair", None, "440305", (113.95, 22.54), None),
            "技能不符（需要 any:repair）",
        ),
    ],
)
def test_eligibility(overrides: dict[str, object], job: rules.JobView, reason: str | None) -> None:
    verdict = rules.judge(tech(**overrides), job, now_local=NOW_LOCAL, now_utc=NOW_UTC, travel=TRAVEL)
    if reason is None:
        assert verdict.eligible and verdict.reason.startswith("可在约")
    else:
        assert not verdict.eligible and verdict.reason.startswith(reason)


def test_ranking_prefers_eligible_in_house_near_and_light() -> None:
    near = tech(username="near", jobs_today=5)
    far = tech(username="far", position=FUTIAN, jobs_today=0)
    light = tech(username="light", jobs_today=0)
    provider = tech(username="provider", is_provider=True, jobs_today=0)
    busy = tech(username="busy", jobs_today=8)
    judged = [
        (t, rules.judge(t, JOB, now_local=NOW_LOCAL, now_utc=NOW_UTC, travel=TRAVEL))
        for t in (busy, provider, far, near, light)
    ]
    assert [t.username for t, _ in rules.rank(judged)] == ["light", "near", "far", "provider", "busy"]


def test_travel_estimate_and_coordinates() -> None:
    km = rules.haversine_km(NANSHAN, FUTIAN)
    assert 12.0 < km < 12.6
    assert TRAVEL.minutes(NANSHAN, FUTIAN) == pytest.approx(km * rules.ROAD_FACTOR / 22.0 * 60)
    assert rules.validate_point(113.9, 22.5) == (113.9, 22.5)
    with pytest.raises(ValueError, match="不在中国境内"):
        rules.validate_point(2.35, 48.85)
    with pytest.raises(ValueError, match="没有坐标"):
        rules.validate_point(None, 22.5)
    assert rules.required_skill("installation", "YL-T10") == "tablet:installation"
