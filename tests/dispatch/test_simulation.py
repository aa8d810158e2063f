"""The dispatch simulation: reproducible, every policy accounts for every job, optimized beats nearest."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from aftersales.cli import app
from aftersales.dispatch.benchmarks import simulation


def test_generation_is_reproducible_and_in_the_city() -> None:
    first = simulation.generate(technicians=9, jobs_per_day=60, seed=3)
    assert first == simulation.generate(technicians=9, jobs_per_day=60, seed=3)
    (lon0, lat0), (lon1, lat1) = simulation.CITY
    jobs = first.days[0]
    assert len(first.technicians) == 9 and len(jobs) == 60
    assert all(lon0 <= job.position[0] <= lon1 and lat0 <= job.position[1] <= lat1 for job in jobs)


def test_optimized_travels_less_and_reaches_emergencies() -> None:
    world = simulation.generate(technicians=12, jobs_per_day=120, seed=5, emergency_share=0.1)
    nearest = simulation.run(world, policy="nearest")
    optimized = simulation.run(world, policy="optimized", seconds=3)
    for result in (nearest, optimized):
        assert result["jobs"] == 120 and 0 <= result["unassigned"] <= 120  # type: ignore[operator]
    assert optimized["mean_travel_km"] < nearest["mean_travel_km"]  # type: ignore[operator]
    assert optimized["urgent_onsite_within_target"] >= nearest["urgent_onsite_within_target"]  # type: ignore[operator]


def test_first_to_reach_picks_the_earliest_arrival() -> None:
    near_busy = simulation._Tech(position=(113.95, 22.55), free_at=12 * 60)
    far_free = simulation._Tech(position=(114.05, 22.60), free_at=8 * 60)
    emergency = simulation.Job(1, (113.95, 22.56), (9 * 60, 11 * 60), True, 9 * 60)
    assert simulation.first_to_reach([near_busy, far_free], emergency) == 1


def test_cli_prints_the_required_fields_and_refuses_bad_input(tmp_path: object) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["dispatch", "simulate", "--policy", "round_robin", "--technicians", "5", "--jobs", "30"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert set(body) >= {
        "policy",
        "jobs",
        "unassigned",
        "mean_travel_km",
        "p95_travel_km",
        "urgent_onsite_within_target",
        "jobs_per_technician_day",
    }
    assert runner.invoke(app, ["dispatch", "simulate", "--policy", "fastest"]).exit_code == 2
