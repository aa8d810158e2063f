"""Replay a generated service day (or several) under a dispatch policy and measure it.

The scenario: one city (Shenzhen-sized, 40 × 28 km), technicians with home bases spread over it, jobs
requested the day before (booked into two-hour appointment windows between 09:00 and 19:00) plus
emergencies that arrive during the day and must be reached within two hours. Policies:

- ``nearest`` (nearest available): every booked job, in window order, goes to the nearest technician who
  can still make its window (else the nearest who can fit it into the day); an emergency goes to the
  nearest technician, right after the job in hand.
- ``round_robin``: jobs and emergencies in turn.
- ``optimized``: the booked jobs are planned as one VRPTW with the routing core (windows, shifts, service
  times); an emergency is inserted into the route of the technician who reaches it first, right after
  the job in hand (the rest of that route shifts), which is the emergency re-plan of the day plans.

Travel is straight-line distance × road factor at the urban speed (``rules.StraightLineTravel``).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from aftersales.dispatch.network import rules
from aftersales.dispatch.planning import routing

CITY = ((113.85, 22.50), (114.25, 22.75))  # lon/lat box
DAY_START, DAY_END = 8 * 60, 20 * 60  # minutes
SERVICE_MINUTES = 45
EMERGENCY_TARGET = 120
TRAVEL = rules.StraightLineTravel("urban")


@dataclass(frozen=True)
class Job:
    id: int
    position: tuple[float, float]
    window: tuple[int, int]  # minutes from midnight (booked) or (arrival, arrival + 120) for emergencies
    emergency: bool
    arrival: int  # minute the request arrived (emergencies) or 0


@dataclass(frozen=True)
class Scenario:
    technicians: list[tuple[float, float]]
    days: list[list[Job]]


def generate(
    *, technicians: int = 40, jobs_per_day: int = 420, days: int = 1, seed: int = 7, emergency_share: float = 0.05
) -> Scenario:
    """A reproducible city: technicians spread evenly, jobs clustered around 12 neighbourhoods."""
    rng = random.Random(seed)
    (lon0, lat0), (lon1, lat1) = CITY
    side = math.ceil(math.sqrt(technicians))
    bases = [
        (
            lon0 + (lon1 - lon0) * ((i % side) + 0.5) / side,
            lat0 + (lat1 - lat0) * ((i // side) + 0.5) / math.ceil(technicians / side),
        )
        for i in range(technicians)
    ]
    hubs = [(rng.uniform(lon0, lon1), rng.uniform(lat0, lat1)) for _ in range(12)]
    all_days = []
    next_id = 1
    for _ in range(days):
        jobs = []
        for _ in range(jobs_per_day):
            hub = rng.choice(hubs)
            position = (
                min(max(rng.gauss(hub[0], 0.03), lon0), lon1),
                min(max(rng.gauss(hub[1], 0.02), lat0), lat1),
            )
            if rng.random() < emergency_share:
                arrival = rng.randint(DAY_START, DAY_END - 3 * 60)
                jobs.append(Job(next_id, position, (arrival, arrival + EMERGENCY_TARGET), True, arrival))
            else:
                start = rng.choice(range(9 * 60, 19 * 60, 120))
                jobs.append(Job(next_id, position, (start, start + 120), False, 0))
            next_id += 1
        all_days.append(jobs)
    return Scenario(bases, all_days)


@dataclass
class _Tech:
    position: tuple[float, float]
    free_at: int = DAY_START
    jobs: int = 0
    legs: list[float] = field(default_factory=list)


def _drive(tech: _Tech, job: Job) -> int:
    """Serve a job next: returns the arrival minute; updates the technician."""
    km = TRAVEL.km(tech.position, job.position)
    arrival = max(
        tech.free_at + round(TRAVEL.minutes(tech.position, job.position)),
        job.window[0] if not job.emergency else job.arrival,
    )
    tech.legs.append(km)
    tech.position = job.position
    tech.free_at = arrival + SERVICE_MINUTES
    tech.jobs += 1
    return arrival


def _greedy_queues(techs: list[_Tech], booked: list[Job], *, policy: str) -> dict[int, list[Job]]:
    """Booked jobs in window order: to the nearest technician who can still make the window (else the
    nearest who can fit it in the day), or in turn for round robin."""
    queues: dict[int, list[Job]] = {i: [] for i in range(len(techs))}
    shadow = [_Tech(position=tech.position) for tech in techs]  # where each will be, as jobs are added
    turn = 0
    for job in sorted(booked, key=lambda job: (job.window[0], job.id)):
        if policy == "round_robin":
            index = turn % len(techs)
            turn += 1
        else:

            def reach(i: int, job: Job = job) -> float:
                return max(shadow[i].free_at + TRAVEL.minutes(shadow[i].position, job.position), job.window[0])

            fits = [i for i in range(len(techs)) if reach(i) <= job.window[1]]
            fits = fits or [i for i in range(len(techs)) if reach(i) + SERVICE_MINUTES <= DAY_END]
            if not fits:
                continue
            index = min(fits, key=lambda i: TRAVEL.km(shadow[i].position, job.position))
        if shadow[index].free_at + SERVICE_MINUTES > DAY_END:
            continue
        _drive(shadow[index], job)
        queues[index].append(job)
    return queues


def _optimized_queues(techs: list[_Tech], booked: list[Job], *, seconds: float) -> dict[int, list[Job]]:
    """The booked jobs planned as one VRPTW by the routing core."""
    points = [tech.position for tech in techs] + [job.position for job in booked]
    matrix = [[round(TRAVEL.minutes(a, b) * 60) for b in points] for a in points]  # seconds
    vehicles = [
        routing.VehicleSpec(id=i, start=i, end=i, window=(DAY_START * 60, DAY_END * 60)) for i in range(len(techs))
    ]
    specs = [
        routing.JobSpec(
            id=job.id,
            location=len(techs) + index,
            service=SERVICE_MINUTES * 60,
            windows=((job.window[0] * 60, job.window[1] * 60),),
        )
        for index, job in enumerate(booked)
    ]
    plan = routing.solve(matrix, vehicles, specs, seconds=seconds, exploration_level=3)
    by_id = {job.id: job for job in booked}
    return {i: [by_id[job_id] for job_id in plan.routes.get(i, [])] for i in range(len(techs))}


def first_to_reach(techs: list[_Tech], emergency: Job) -> int:
    """The emergency re-plan: the technician who can be there first after finishing the job in hand."""
    return min(
        range(len(techs)),
        key=lambda i: max(techs[i].free_at, emergency.arrival) + TRAVEL.minutes(techs[i].position, emergency.position),
    )


def _play(techs: list[_Tech], queues: dict[int, list[Job]], emergencies: list[Job], *, choose: str) -> dict[int, int]:
    """Work through the queues; each emergency goes right after the job in hand of the chosen technician:
    the one who reaches it first (``eta``) or simply the nearest (``nearest``) or the next in turn."""
    arrivals: dict[int, int] = {}
    turn = 0
    for emergency in [*sorted(emergencies, key=lambda job: job.arrival), None]:
        horizon = emergency.arrival if emergency is not None else DAY_END * 10
        for index, tech in enumerate(techs):
            while queues[index] and tech.free_at <= horizon:
                job = queues[index].pop(0)
                arrivals[job.id] = _drive(tech, job)
        if emergency is None:
            break
        if choose == "eta":
            best = first_to_reach(techs, emergency)
        elif choose == "nearest":
            best = min(range(len(techs)), key=lambda i: TRAVEL.km(techs[i].position, emergency.position))
        else:
            best = turn % len(techs)
            turn += 1
        arrivals[emergency.id] = _drive(techs[best], emergency)
    return arrivals


def run(scenario: Scenario, *, policy: str, seconds: float = 10.0) -> dict[str, object]:
    """Replay every day under the policy; one summary."""
    if policy not in ("optimized", "nearest", "round_robin"):
        raise ValueError(f"unknown policy {policy!r}")
    legs: list[float] = []
    served = total = urgent = urgent_ok = 0
    for jobs in scenario.days:
        techs = [_Tech(position=base) for base in scenario.technicians]
        booked = [job for job in jobs if not job.emergency]
        emergencies = [job for job in jobs if job.emergency]
        if policy == "optimized":
            queues = _optimized_queues(techs, booked, seconds=seconds)
        else:
            queues = _greedy_queues(techs, booked, policy=policy)
        choose = {"optimized": "eta", "nearest": "nearest", "round_robin": "turn"}[policy]
        arrivals = _play(techs, queues, emergencies, choose=choose)
        legs += [leg for tech in techs for leg in tech.legs]
        total += len(jobs)
        served += len(arrivals)
        for job in jobs:
            if job.emergency:
                urgent += 1
                urgent_ok += job.id in arrivals and arrivals[job.id] <= job.arrival + EMERGENCY_TARGET
    legs.sort()
    return {
        "policy": policy,
        "jobs": total,
        "unassigned": total - served,
        "mean_travel_km": round(sum(legs) / len(legs), 2) if legs else 0.0,
        "p95_travel_km": round(legs[min(len(legs) - 1, int(0.95 * len(legs)))], 2) if legs else 0.0,
        "urgent_onsite_within_target": round(urgent_ok / urgent, 4) if urgent else 1.0,
        "jobs_per_technician_day": round(served / (len(scenario.technicians) * len(scenario.days)), 2),
        "technicians": len(scenario.technicians),
        "days": len(scenario.days),
    }


def load_file(text: str) -> Scenario:
    """A scenario from JSON: {"technicians": [[lon, lat], ...], "days": [[{"id", "lon", "lat", "window": [a, b],
    "emergency", "arrival"}, ...], ...]} (minutes from midnight)."""
    import json

    data = json.loads(text)
    technicians = [rules.validate_point(float(lon), float(lat)) for lon, lat in data["technicians"]]
    days = [
        [
            Job(
                int(row["id"]),
                rules.validate_point(float(row["lon"]), float(row["lat"])),
                (int(row["window"][0]), int(row["window"][1])),
                bool(row.get("emergency", False)),
                int(row.get("arrival", 0)),
            )
            for row in day
        ]
        for day in data["days"]
    ]
    return Scenario(technicians, days)
