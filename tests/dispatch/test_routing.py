"""Solomon parsing, the independent feasibility check (it must be able to fail), and the solver on C101."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aftersales.cli import app
from aftersales.dispatch.benchmarks import solomon
from aftersales.dispatch.planning import routing

DATA = Path(__file__).resolve().parent / "data" / "solomon"  # C101 and its best-known solution, see README.md
SMALL = """TINY

VEHICLE
NUMBER     CAPACITY
  2         10

CUSTOMER
CUST NO.   XCOORD.   YCOORD.    DEMAND   READY TIME   DUE DATE   SERVICE TIME

    0          0       0           0       0         100           0
    1          3       4           6       0          20           1
    2          6       8           6       0          40           1
    3          0       5           3      30          50           1
"""


def test_parse_and_truncated_distances() -> None:
    instance = solomon.parse(SMALL)
    assert (instance.name, instance.vehicles, instance.capacity, len(instance.customers)) == ("TINY", 2, 10, 3)
    depot, first, _second, third = instance.nodes
    assert solomon.arc_tenths(depot, first) == 50 and solomon.arc_tenths(first, third) == 31  # 3.162… → 3.1
    assert solomon.route_distance(instance, [1, 2]) == 5.0 + 5.0 + 10.0


def test_the_check_catches_every_kind_of_violation() -> None:
    instance = solomon.parse(SMALL)
    assert solomon.check(instance, [[1, 3], [2]]) == []
    assert any("capacity" in p for p in solomon.check(instance, [[1, 2, 3]]))  # 15 > 10
    assert any("missing [3]" in p for p in solomon.check(instance, [[1], [2]]))
    assert any("repeated [1]" in p for p in solomon.check(instance, [[1, 3], [1, 2]]))
    assert any("after due" in p for p in solomon.check(instance, [[3, 1], [2]]))  # 1 after its window
    assert any("routes for a fleet" in p for p in solomon.check(instance, [[1], [2], [3]]))


def test_bad_file_is_refused() -> None:
    with pytest.raises(solomon.InstanceError, match="not a Solomon VRPTW instance"):
        solomon.parse("hello\nworld")


def test_solver_is_feasible_and_optimal_on_the_tiny_case() -> None:
    instance = solomon.parse(SMALL)
    routes = routing.solve_solomon(instance, seconds=1)
    assert solomon.check(instance, routes) == []
    # [1] + [2, 3] = 10 + (10 + 6.7 + 5) = 31.7 beats [1, 3] + [2] = 13.1 + 20
    assert sorted(sorted(route) for route in routes) == [[1], [2, 3]]  # either order of 2 and 3 is 21.7
    assert round(sum(solomon.route_distance(instance, route) for route in routes), 1) == 31.7


def test_the_check_accepts_the_best_known_c101_solution() -> None:
    instance = solomon.load(DATA / "C101.txt")
    lines = (DATA / "C101.sol").read_text(encoding="utf-8").splitlines()
    routes = [[int(n) for n in line.split(":")[1].split()] for line in lines if line.startswith("Route #")]
    assert lines[-1] == "Cost 827.3"
    assert solomon.check(instance, routes) == []
    assert (len(routes), round(sum(solomon.route_distance(instance, route) for route in routes), 1)) == (10, 827.3)


def test_cli_solves_c101_to_the_best_known_distance() -> None:
    result = CliRunner().invoke(app, ["dispatch", "solve-vrptw", str(DATA / "C101.txt"), "--seconds", "5", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert (body["instance"], body["vehicles"], body["distance"]) == ("C101", 10, 827.3)
    assert solomon.check(solomon.load(DATA / "C101.txt"), body["routes"]) == []


def test_unreachable_jobs_are_reported_unassigned() -> None:
    vehicles = [routing.VehicleSpec(id=1, start=0, end=0, window=(0, 100))]
    jobs = [
        routing.JobSpec(id=7, location=1, windows=((0, 10),)),
        routing.JobSpec(id=8, location=1, windows=((0, 2000),)),
    ]
    plan = routing.solve([[0, 40], [40, 0]], vehicles, jobs, seconds=1)
    assert (plan.unassigned, plan.routes, plan.cost) == ([7], {1: [8]}, 80)
