"""Solomon VRPTW instances: parsing, the DIMACS distance convention, and an independent feasibility check.

Distances are Euclidean with every arc truncated to one decimal (as in the best-known-solution table);
travel time equals distance. Times and distances are kept in tenths as integers so the solver optimises
exactly the reported objective.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path


@dataclass(frozen=True)
class Customer:
    number: int
    x: float
    y: float
    demand: int
    ready: int
    due: int
    service: int


@dataclass(frozen=True)
class Instance:
    name: str
    vehicles: int
    capacity: int
    depot: Customer
    customers: tuple[Customer, ...]

    @property
    def nodes(self) -> tuple[Customer, ...]:
        return (self.depot, *self.customers)


class InstanceError(ValueError):
    """The file is not a Solomon instance."""


def parse(text: str, name: str | None = None) -> Instance:
    """Read the classic Solomon text format."""
    lines = [line.strip() for line in text.splitlines()]
    try:
        title = name or lines[0]
        vehicle_index = next(i for i, line in enumerate(lines) if line.upper().startswith("VEHICLE"))
        vehicles, capacity = (int(part) for part in lines[vehicle_index + 2].split()[:2])
        customer_index = next(i for i, line in enumerate(lines) if line.upper().startswith("CUSTOMER"))
        rows = []
        for line in lines[customer_index + 1 :]:
            parts = line.split()
            if len(parts) == 7 and parts[0].isdigit():
                number, x, y, demand, ready, due, service = parts
                rows.append(
                    Customer(
                        int(number),
                        float(x),
                        float(y),
                        int(float(demand)),
                        int(float(ready)),
                        int(float(due)),
                        int(float(service)),
                    )
                )
    except (StopIteration, ValueError, IndexError) as error:
        raise InstanceError(f"not a Solomon VRPTW instance: {error}") from None
    if not rows or rows[0].number != 0:
        raise InstanceError("not a Solomon VRPTW instance: no depot (customer 0)")
    return Instance(title.strip(), vehicles, capacity, rows[0], tuple(rows[1:]))


def load(path: Path) -> Instance:
    """Parse a Solomon file."""
    return parse(path.read_text(encoding="utf-8"), name=path.stem)


def arc_tenths(a: Customer, b: Customer) -> int:
    """Euclidean distance truncated to one decimal, in tenths."""
    return math.floor(math.hypot(a.x - b.x, a.y - b.y) * 10 + 1e-9)


def matrix_tenths(instance: Instance) -> list[list[int]]:
    """The full travel matrix in tenths (node 0 is the depot)."""
    nodes = instance.nodes
    return [[arc_tenths(a, b) for b in nodes] for a in nodes]


def route_distance(instance: Instance, route: list[int]) -> float:
    """Depot → customers → depot, in distance units (sum of truncated arcs)."""
    by_number = {node.number: node for node in instance.nodes}
    path = [instance.depot, *(by_number[number] for number in route), instance.depot]
    return sum(arc_tenths(a, b) for a, b in pairwise(path)) / 10


def check(instance: Instance, routes: list[list[int]]) -> list[str]:
    """Every rule a solution must keep (empty list = feasible): each customer exactly once, capacity,
    time windows (waiting allowed), return to the depot before it closes, at most the fleet size."""
    problems = []
    by_number = {node.number: node for node in instance.nodes}
    visited = [number for route in routes for number in route]
    expected = {customer.number for customer in instance.customers}
    if sorted(visited) != sorted(expected):
        missing = expected - set(visited)
        repeated = {number for number in visited if visited.count(number) > 1}
        unknown = set(visited) - expected
        problems.append(
            f"customers: missing {sorted(missing)[:10]}, repeated {sorted(repeated)[:10]}, unknown {sorted(unknown)[:10]}"
        )
    if len([route for route in routes if route]) > instance.vehicles:
        problems.append(f"{len(routes)} routes for a fleet of {instance.vehicles}")
    for index, route in enumerate(routes):
        load_ = sum(by_number[number].demand for number in route if number in by_number)
        if load_ > instance.capacity:
            problems.append(f"route {index}: load {load_} > capacity {instance.capacity}")
        time = 0  # tenths
        previous = instance.depot
        for number in route:
            node = by_number.get(number)
            if node is None:
                continue
            time = max(time + arc_tenths(previous, node), node.ready * 10)
            if time > node.due * 10:
                problems.append(f"route {index}: customer {number} reached at {time / 10} after due {node.due}")
            time += node.service * 10
            previous = node
        time += arc_tenths(previous, instance.depot)
        if time > instance.depot.due * 10:
            problems.append(f"route {index}: back at the depot at {time / 10} after it closes at {instance.depot.due}")
    return problems
