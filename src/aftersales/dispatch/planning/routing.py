"""The routing core: a VRPTW-shaped problem solved with VROOM (pyvroom), used by the Solomon benchmark
and, with skills, priorities and breaks, by the day plans.

Inputs are integer matrices and windows (any unit, e.g. seconds or tenths of a distance unit).

VROOM keeps Python's GIL for the whole solve (a 40-stop day at exploration level 5 holds it for about
0.2 s), which would stall every request of a server while a day is planned or an emergency re-planned:
each solve goes through ``core.offload``, which runs it in a child process in servers and workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import vroom

from aftersales.core import offload
from aftersales.dispatch.benchmarks.solomon import Instance, matrix_tenths


@dataclass(frozen=True)
class BreakSpec:
    """A break of ``service`` length that must start inside one of ``windows``."""

    id: int
    windows: tuple[tuple[int, int], ...]
    service: int


@dataclass(frozen=True)
class VehicleSpec:
    id: int
    start: int  # matrix index
    end: int
    window: tuple[int, int]
    capacity: int | None = None
    skills: frozenset[int] = frozenset()
    breaks: tuple[BreakSpec, ...] = ()
    max_tasks: int | None = None


@dataclass(frozen=True)
class JobSpec:
    id: int
    location: int
    service: int = 0
    windows: tuple[tuple[int, int], ...] = ()
    demand: int | None = None
    skills: frozenset[int] = frozenset()
    priority: int = 0


@dataclass(frozen=True)
class Visit:
    """When a vehicle reaches a job: arrival, then waiting for the window, then service."""

    job_id: int
    arrival: int
    waiting: int
    service: int

    @property
    def departure(self) -> int:
        return self.arrival + self.waiting + self.service


@dataclass(frozen=True)
class Plan:
    """Routes as job ids per vehicle id, the travel cost, the jobs left unassigned, and the timing of
    every visit."""

    routes: dict[int, list[int]]
    cost: int
    unassigned: list[int] = field(default_factory=list)
    visits: dict[int, list[Visit]] = field(default_factory=dict)


def solve(
    matrix: Sequence[Sequence[int]],
    vehicles: Sequence[VehicleSpec],
    jobs: Sequence[JobSpec],
    *,
    seconds: float | None = None,
    exploration_level: int = 5,
    threads: int = 2,
) -> Plan:
    """Assign and sequence jobs over vehicles, minimising travel cost within every constraint."""
    arguments = ([list(row) for row in matrix], list(vehicles), list(jobs), seconds, exploration_level, threads)
    return offload.run(_solve_here, *arguments)


def _solve_here(
    matrix: list[list[int]],
    vehicles: list[VehicleSpec],
    jobs: list[JobSpec],
    seconds: float | None,
    exploration_level: int,
    threads: int,
) -> Plan:
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=matrix)
    for vehicle in vehicles:
        problem.add_vehicle(
            vroom.Vehicle(
                vehicle.id,
                start=vehicle.start,
                end=vehicle.end,
                capacity=[vehicle.capacity] if vehicle.capacity is not None else (),
                skills=set(vehicle.skills) or None,
                time_window=vroom.TimeWindow(*vehicle.window),
                breaks=[
                    vroom.Break(
                        item.id,
                        time_windows=[vroom.TimeWindow(*window) for window in item.windows],
                        service=item.service,
                    )
                    for item in vehicle.breaks
                ],
                max_tasks=vehicle.max_tasks,
            )
        )
    for job in jobs:
        problem.add_job(
            vroom.Job(
                job.id,
                location=job.location,
                default_service=job.service,
                delivery=vroom.Amount([job.demand]) if job.demand is not None else vroom.Amount([]),
                skills=set(job.skills) or None,
                priority=job.priority,
                time_windows=[vroom.TimeWindow(*window) for window in job.windows],
            )
        )
    solution = problem.solve(
        exploration_level=exploration_level,
        nb_threads=threads,
        timeout=timedelta(seconds=seconds) if seconds is not None else None,
    )
    routes: dict[int, list[int]] = {}
    visits: dict[int, list[Visit]] = {}
    frame = solution.routes
    columns = ("vehicle_id", "id", "type", "arrival", "waiting_time", "service")
    rows = zip(*(frame[c] for c in columns), strict=True) if "id" in frame.columns else iter(())
    for vehicle_id, job_id, kind, arrival, waiting, service in rows:
        if kind == "job":
            routes.setdefault(int(vehicle_id), []).append(int(job_id))
            visits.setdefault(int(vehicle_id), []).append(Visit(int(job_id), int(arrival), int(waiting), int(service)))
    # pyvroom lists unassigned jobs as its Job objects (the id only as the private ``_id``).
    unassigned = [int(job._id) for job in solution.unassigned]
    return Plan(routes=routes, cost=int(solution.summary.cost), unassigned=unassigned, visits=visits)


def solve_solomon(instance: Instance, *, seconds: float, threads: int = 2) -> list[list[int]]:
    """Routes (customer numbers) for a Solomon instance, distance in tenths as the cost."""
    matrix = matrix_tenths(instance)
    horizon = (0, instance.depot.due * 10)
    vehicles = [
        VehicleSpec(id=v, start=0, end=0, window=horizon, capacity=instance.capacity) for v in range(instance.vehicles)
    ]
    jobs = [
        JobSpec(
            id=customer.number,
            location=index,
            service=customer.service * 10,
            windows=((customer.ready * 10, customer.due * 10),),
            demand=customer.demand,
        )
        for index, customer in enumerate(instance.customers, start=1)
    ]
    plan = solve(matrix, vehicles, jobs, seconds=seconds, threads=threads)
    if plan.unassigned:
        raise RuntimeError(f"{len(plan.unassigned)} customers could not be routed")
    return [route for _, route in sorted(plan.routes.items()) if route]
