"""A crew's day as the planner sees it: crews, stops and legs, where a crew stands at a moment of its plan,
and driving a sequence of stops through appointment windows, the shift, the daily job limit and lunch.

Pure: no database, no clock. Times are whole seconds from the plan's origin (local midnight of the plan day).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from aftersales.dispatch.network.rules import TravelModel

Point = tuple[float, float]

BREAK_FLEX = 30 * 60  # a lunch break may start up to 30 min before or after its planned start


@dataclass(frozen=True)
class Crew:
    """A technician (or a partner provider's team) as the planner sees them."""

    user_id: int
    username: str
    start: Point  # where the day (or the re-plan) starts
    home: Point
    shift: tuple[int, int]
    break_window: tuple[int, int] | None = None  # planned lunch (start, end)
    max_jobs: int = 8
    jobs_done: int = 0  # jobs of the day already finished (count against max_jobs)


@dataclass(frozen=True)
class Stop:
    """A job to plan."""

    ticket_id: int
    position: Point
    service: int
    windows: tuple[tuple[int, int], ...] = ()  # empty: any time in the shift
    priority: int = 0
    candidates: frozenset[int] = frozenset()  # crews (user ids) allowed to do it
    label: str = ""


@dataclass(frozen=True)
class Leg:
    """A stop in a crew's sequence with its timing and the drive to it."""

    stop: Stop
    technician_id: int
    sequence: int
    arrival: int
    departure: int
    km: float
    minutes: float


def travel_seconds(travel: TravelModel, a: Point, b: Point) -> int:
    """The drive from ``a`` to ``b`` in whole seconds."""
    return round(travel.minutes(a, b) * 60)


@dataclass(frozen=True)
class CrewState:
    """Where a crew stands at ``now`` in its plan: the position and time it is free, what is left."""

    crew: Crew
    position: Point
    free_at: int
    remaining: list[Stop]
    done: int  # stops of the plan already started or finished
    break_taken: bool


def crew_state(crew: Crew, legs: Sequence[Leg], *, now: int) -> CrewState:
    """Stops already started, or already driven to, are finished first (the job in hand); later ones may
    move. Lunch counts as taken once its latest start has passed, or when the plan's idle gap for it has
    begun."""
    position, free_at, done = crew.start, max(now, crew.shift[0]), 0
    remaining: list[Stop] = []
    ordered = sorted(legs, key=lambda leg: leg.sequence)
    for leg in ordered:
        if leg.arrival - round(leg.minutes * 60) <= now and not remaining:
            position, free_at, done = leg.stop.position, max(leg.departure, now), done + 1
        else:
            remaining.append(leg.stop)
    lunch = crew.break_window
    if lunch is None or lunch[0] + BREAK_FLEX <= now:
        return CrewState(crew, position, free_at, remaining, done, True)
    planned = _planned_lunch(crew, ordered)
    if planned is not None and planned <= now:  # on lunch now (or done with it)
        return CrewState(crew, position, max(free_at, planned + lunch[1] - lunch[0]), remaining, done, True)
    return CrewState(crew, position, free_at, remaining, done, False)


def _planned_lunch(crew: Crew, legs: Sequence[Leg]) -> int | None:
    """Where the plan left room for lunch: the start of the first idle gap long enough, inside its window."""
    assert crew.break_window is not None
    begin, end = crew.break_window
    length = end - begin
    previous = crew.shift[0]
    for leg in legs:
        start = max(previous, begin - BREAK_FLEX)
        # A minute of slack: the stored drive times are rounded to a tenth of a minute.
        if start <= begin + BREAK_FLEX and start + length + round(leg.minutes * 60) <= leg.arrival + 60:
            return start
        previous = leg.departure
    start = max(previous, begin - BREAK_FLEX)
    return start if start <= begin + BREAK_FLEX else None


def schedule(
    state: CrewState,
    sequence: Sequence[Stop],
    *,
    travel: TravelModel,
    deadline: dict[int, int] | None = None,
    over_limit: int = 0,
) -> list[Leg] | None:
    """Drive the sequence from the crew's state; None when a window, a deadline, the shift or the daily
    job limit (plus ``over_limit``) would be broken. A pending lunch goes into the earliest gap between
    jobs where everything still fits."""
    crew = state.crew
    if crew.jobs_done + state.done + len(sequence) > crew.max_jobs + over_limit:
        return None
    lunch = crew.break_window if not state.break_taken else None
    if lunch is not None and (crew.shift[1] <= lunch[0] - BREAK_FLEX or crew.shift[0] >= lunch[0] + BREAK_FLEX):
        lunch = None  # the shift does not span lunch time
    if lunch is None:
        return _drive(state, sequence, travel=travel, deadline=deadline)
    for before in range(len(sequence) + 1):
        legs = _drive(state, sequence, travel=travel, deadline=deadline, lunch=lunch, lunch_before=before)
        if legs is not None:
            return legs
    return None


def _drive(
    state: CrewState,
    sequence: Sequence[Stop],
    *,
    travel: TravelModel,
    deadline: dict[int, int] | None,
    lunch: tuple[int, int] | None = None,
    lunch_before: int = -1,
) -> list[Leg] | None:
    crew = state.crew
    clock, position, legs = state.free_at, state.position, []
    for index, stop in enumerate([*sequence, None]):
        if lunch is not None and index == lunch_before:
            start = max(clock, lunch[0] - BREAK_FLEX)
            if start > lunch[0] + BREAK_FLEX:
                return None
            clock = start + lunch[1] - lunch[0]
        if stop is None:
            break
        minutes = travel.minutes(position, stop.position)
        arrival = arrival_at(clock + round(minutes * 60), stop)
        if arrival is None or (deadline and stop.ticket_id in deadline and arrival > deadline[stop.ticket_id]):
            return None
        departure = arrival + stop.service
        legs.append(
            Leg(
                stop,
                crew.user_id,
                state.done + index + 1,
                arrival,
                departure,
                round(travel.km(position, stop.position), 2),
                round(minutes, 1),
            )
        )
        clock, position = departure, stop.position
    if clock + travel_seconds(travel, position, crew.home) > crew.shift[1]:
        return None
    return legs


def arrival_at(reached: int, stop: Stop) -> int | None:
    """When work can start at a stop reached at ``reached``: the window's opening if early, None if late."""
    if not stop.windows:
        return reached
    # A minute of slack, as above: a plan VROOM made must pass this check.
    opening = min((window for window in stop.windows if window[1] + 60 >= reached), default=None)
    return None if opening is None else max(reached, opening[0])


def route_seconds(state: CrewState, sequence: Sequence[Stop], travel: TravelModel) -> int:
    """The driving (seconds) of a crew's remaining route: from where it stands, through the stops, home."""
    points = [state.position, *(stop.position for stop in sequence), state.crew.home]
    return sum(travel_seconds(travel, a, b) for a, b in itertools.pairwise(points))
