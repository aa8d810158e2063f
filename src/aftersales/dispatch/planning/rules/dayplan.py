"""Day plans: every stop of the day assigned to a crew and sequenced with VROOM (skills and service areas as
eligibility sets, appointment windows, shifts, a lunch break, a daily job limit, priorities), then timed
as early as each sequence allows. Pure: no database, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aftersales.dispatch.network.rules import TravelModel
from aftersales.dispatch.planning import routing
from aftersales.dispatch.planning.rules.crews import (
    BREAK_FLEX,
    Crew,
    CrewState,
    Leg,
    Point,
    Stop,
    schedule,
    travel_seconds,
)


@dataclass(frozen=True)
class DayPlanResult:
    """A planned day: every crew's legs in order, what could not be planned (and why), the total driving."""

    legs: list[Leg]
    unassigned: dict[int, str]  # ticket id -> reason
    total_km: float

    def route_of(self, technician_id: int) -> list[Leg]:
        return [leg for leg in self.legs if leg.technician_id == technician_id]


def _eligibility_skills(stops: Sequence[Stop]) -> dict[frozenset[int], int]:
    """One VROOM skill per distinct set of allowed crews: a crew holds the skills of every set it is in."""
    sets: dict[frozenset[int], int] = {}
    for stop in stops:
        sets.setdefault(stop.candidates, len(sets) + 1)
    return sets


def _break_spec(crew: Crew, not_before: int) -> tuple[routing.BreakSpec, ...]:
    if crew.break_window is None:
        return ()
    start, end = crew.break_window
    earliest, latest = max(start - BREAK_FLEX, not_before), start + BREAK_FLEX
    if latest < not_before:  # already past lunch
        return ()
    return (routing.BreakSpec(id=crew.user_id, windows=((earliest, latest),), service=end - start),)


def solve_routes(
    crews: Sequence[Crew],
    stops: Sequence[Stop],
    *,
    travel: TravelModel,
    seconds: float,
    not_before: int = 0,
    free_at: dict[int, int] | None = None,
) -> tuple[dict[int, list[Leg]], list[int]]:
    """Assign and sequence stops over crews with VROOM; returns routes per crew and unassigned ticket ids."""
    if not crews or not stops:
        return {}, [stop.ticket_id for stop in stops]
    points: list[Point] = [crew.start for crew in crews] + [crew.home for crew in crews]
    points += [stop.position for stop in stops]
    matrix = [[travel_seconds(travel, a, b) for b in points] for a in points]
    skills = _eligibility_skills(stops)
    vehicles = []
    for index, crew in enumerate(crews):
        begin = max(crew.shift[0], not_before, (free_at or {}).get(crew.user_id, 0))
        if begin >= crew.shift[1] or crew.jobs_done >= crew.max_jobs:
            continue
        vehicles.append(
            routing.VehicleSpec(
                id=crew.user_id,
                start=index,
                end=len(crews) + index,
                window=(begin, crew.shift[1]),
                skills=frozenset(skill for members, skill in skills.items() if crew.user_id in members),
                breaks=_break_spec(crew, begin),
                max_tasks=crew.max_jobs - crew.jobs_done,
            )
        )
    offset = 2 * len(crews)
    jobs = [
        routing.JobSpec(
            id=stop.ticket_id,
            location=offset + index,
            service=stop.service,
            windows=stop.windows,
            skills=frozenset({skills[stop.candidates]}),
            priority=stop.priority,
        )
        for index, stop in enumerate(stops)
    ]
    if not vehicles:
        return {}, [stop.ticket_id for stop in stops]
    plan = routing.solve(matrix, vehicles, jobs, seconds=seconds, exploration_level=5)
    by_id = {stop.ticket_id: stop for stop in stops}
    starts = {crew.user_id: crew.start for crew in crews}
    routes: dict[int, list[Leg]] = {}
    for crew_id, visits in plan.visits.items():
        position = starts[crew_id]
        legs = []
        for sequence, visit in enumerate(visits, start=1):
            stop = by_id[visit.job_id]
            legs.append(
                Leg(
                    stop=stop,
                    technician_id=crew_id,
                    sequence=sequence,
                    arrival=visit.arrival + visit.waiting,  # on the doorstep when the window opens
                    departure=visit.departure,
                    km=round(travel.km(position, stop.position), 2),
                    minutes=round(travel.minutes(position, stop.position), 1),
                )
            )
            position = stop.position
        routes[crew_id] = legs
    return routes, sorted(plan.unassigned)


# Why a stop could not be planned, by timeline note key (the console translates the key).
UNASSIGNED_REASONS = {
    "dispatch.nobody_qualified": "没有具备该技能且服务区域覆盖该地址的技术员",
    "dispatch.nobody_on_shift": "可接单的技术员今天都不在班",
    "dispatch.everyone_booked": "可接单的技术员当天已排满，或无法在约定时段内到达",
}


def unassigned_cause(stop: Stop, crews: Iterable[Crew]) -> str:
    """Why a stop could not be planned, as a key of ``UNASSIGNED_REASONS``."""
    if not stop.candidates:
        return "dispatch.nobody_qualified"
    if not any(crew.user_id in stop.candidates for crew in crews):
        return "dispatch.nobody_on_shift"
    return "dispatch.everyone_booked"


def unassigned_reason(stop: Stop, crews: Iterable[Crew]) -> str:
    """Why a stop could not be planned, in the dispatcher's words."""
    return UNASSIGNED_REASONS[unassigned_cause(stop, crews)]


def plan_day(
    crews: Sequence[Crew], stops: Sequence[Stop], *, travel: TravelModel, seconds: float = 5.0, not_before: int = 0
) -> DayPlanResult:
    """The optimised day: every stop assigned and sequenced, or unassigned with the reason. VROOM fixes
    who and in which order; the times are then the earliest each sequence allows (VROOM only minimises
    driving, so it may start a crew's day late)."""
    routes, unassigned = solve_routes(crews, stops, travel=travel, seconds=seconds, not_before=not_before)
    by_crew = {crew.user_id: crew for crew in crews}
    for crew_id, legs in routes.items():
        crew = by_crew[crew_id]
        fresh = CrewState(crew, crew.start, max(crew.shift[0], not_before), [], 0, crew.break_window is None)
        early = schedule(fresh, [leg.stop for leg in legs], travel=travel, over_limit=len(legs))
        if early is not None:
            routes[crew_id] = early
    legs = [leg for crew_id in sorted(routes) for leg in routes[crew_id]]
    by_id = {stop.ticket_id: stop for stop in stops}
    reasons = {ticket_id: unassigned_reason(by_id[ticket_id], crews) for ticket_id in unassigned}
    return DayPlanResult(legs=legs, unassigned=reasons, total_km=round(sum(leg.km for leg in legs), 2))
