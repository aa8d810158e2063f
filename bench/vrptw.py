"""VRPTW on the Solomon instances: our routing core (VROOM) against OR-Tools, same instances, same time.

Distances follow the best-known-solution table (every arc truncated to one decimal). Both solvers get the
same integer matrix (tenths), windows, service times, capacity and fleet; every solution is checked by
``dispatch.solomon.check`` (capacity, windows, each customer once) before its distance is reported.

    .venv/bin/python bench/vrptw.py --seconds 10
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, machine_info, run_at_commit, write_result

DATA = ROOT.parent / "shared" / "data" / "solomon"
INSTANCES = ("C101", "R101", "R201", "RC101")


def best_known() -> dict[str, tuple[int, float]]:
    table = {}
    for line in (DATA / "bks.txt").read_text().splitlines():
        parts = line.split()
        if len(parts) == 3 and not line.startswith("#"):
            table[parts[0]] = (int(parts[1]), float(parts[2]))
    return table


def ortools_routes(instance, seconds: float) -> list[list[int]]:  # type: ignore[no-untyped-def]
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    from aftersales.dispatch.benchmarks import solomon

    matrix = solomon.matrix_tenths(instance)
    nodes = instance.nodes
    manager = pywrapcp.RoutingIndexManager(len(nodes), instance.vehicles, 0)
    model = pywrapcp.RoutingModel(manager)

    def distance(i: int, j: int) -> int:
        return matrix[manager.IndexToNode(i)][manager.IndexToNode(j)]

    def travel(i: int, j: int) -> int:
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return matrix[a][b] + nodes[a].service * 10

    def demand(i: int) -> int:
        return nodes[manager.IndexToNode(i)].demand

    model.SetArcCostEvaluatorOfAllVehicles(model.RegisterTransitCallback(distance))
    horizon = instance.depot.due * 10
    model.AddDimension(model.RegisterTransitCallback(travel), horizon, horizon, False, "time")
    time_dimension = model.GetDimensionOrDie("time")
    for node_index, node in enumerate(nodes):
        if node_index == 0:
            continue
        time_dimension.CumulVar(manager.NodeToIndex(node_index)).SetRange(node.ready * 10, node.due * 10)
    for vehicle in range(instance.vehicles):
        time_dimension.CumulVar(model.Start(vehicle)).SetRange(0, horizon)
        time_dimension.CumulVar(model.End(vehicle)).SetRange(0, horizon)
    model.AddDimensionWithVehicleCapacity(
        model.RegisterUnaryTransitCallback(demand), 0, [instance.capacity] * instance.vehicles, True, "load"
    )
    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    parameters.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    parameters.time_limit.FromMilliseconds(int(seconds * 1000))
    solution = model.SolveWithParameters(parameters)
    if solution is None:
        raise RuntimeError("OR-Tools found no solution")
    routes = []
    for vehicle in range(instance.vehicles):
        index = solution.Value(model.NextVar(model.Start(vehicle)))
        route = []
        while not model.IsEnd(index):
            route.append(nodes[manager.IndexToNode(index)].number)
            index = solution.Value(model.NextVar(index))
        if route:
            routes.append(route)
    return routes


def main() -> None:
    run_at_commit()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--commit")
    args = parser.parse_args()
    from aftersales.dispatch.benchmarks import solomon
    from aftersales.dispatch.planning import routing

    bks = best_known()
    rows = []
    for name in INSTANCES:
        instance = solomon.load(DATA / f"{name}.txt")
        for solver, run in (
            ("vroom (ours)", lambda inst: routing.solve_solomon(inst, seconds=args.seconds)),
            ("or-tools GLS", lambda inst: ortools_routes(inst, args.seconds)),
        ):
            began = time.perf_counter()
            routes = run(instance)
            elapsed = time.perf_counter() - began
            problems = solomon.check(instance, routes)
            distance = round(sum(solomon.route_distance(instance, route) for route in routes), 1)
            gap = (distance - bks[name][1]) / bks[name][1]
            rows.append(
                {
                    "instance": name,
                    "solver": solver,
                    "vehicles": len(routes),
                    "distance": distance,
                    "bks_vehicles": bks[name][0],
                    "bks_distance": bks[name][1],
                    "gap": round(gap, 4),
                    "feasible": not problems,
                    "problems": problems[:5],
                    "seconds": round(elapsed, 1),
                }
            )
            print(
                f"{name:6} {solver:14} {len(routes):3} {distance:8.1f} gap {gap:+.2%} feasible={not problems} {elapsed:.1f}s",
                file=sys.stderr,
            )
    summary = {}
    for solver in {row["solver"] for row in rows}:
        mine = [row for row in rows if row["solver"] == solver]
        summary[solver] = {
            "mean_gap": round(sum(r["gap"] for r in mine) / len(mine), 4),
            "all_feasible": all(r["feasible"] for r in mine),
        }
    print(summary, file=sys.stderr)
    print(
        write_result(
            "vrptw",
            {
                "benchmark": "vrptw",
                "machine": machine_info(),
                "seconds": args.seconds,
                "rows": rows,
                "summary": summary,
            },
        )
    )


if __name__ == "__main__":
    main()
