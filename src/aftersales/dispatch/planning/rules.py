"""Day plans and emergency insertion on top of the routing core. No database, no clock: the service
layer (``dayplans``) turns tickets and technicians into ``Crew`` and ``Stop`` values and stores the result.

Times are whole seconds from the plan's origin (local midnight of the plan day).

- ``plan_day``: assign and sequence every stop over the crews with VROOM (skills and service areas as
  eligibility sets, appointment windows, shifts, a lunch break, a daily job limit, priorities).
- ``insert_emergency``: put an urgent stop into the current plan so that it is reached before its on-site
  deadline. First the cheapest feasible insertion into one crew's remaining route (every later
  appointment still kept, the job in hand finished first); when no crew can take it that way, the
  nearest crews' remaining days are re-solved with the urgent stop at the top priority; when even that
  fails, the reason (the earliest anyone could arrive) is returned for escalation.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from aftersales.dispatch.network.rules import TravelModel
from aftersales.dispatch.planning import routing

Point = tuple[float, float]

BREAK_FLEX = 30 * 60  # a lunch break may start up to 30 min before or after its planned start
URGENT_PRIORITY = 100
NEIGHBOURS_FOR_REPLAN = 10


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


@dataclass(frozen=True)
class DayPlanResult:
    legs: list[Leg]
    unassigned: dict[int, str]  # ticket id -> reason
    total_km: float

    def route_of(self, technician_id: int) -> list[Leg]:
        return [leg for leg in self.legs if leg.technician_id == technician_id]


@dataclass(frozen=True)
class Insertion:
    """Where the emergency went (or why it could not), and every crew's route that changed."""

    technician_id: int | None
    arrival: int | None
    reason: str
    method: str  # insertion | move | replan | none
    routes: dict[int, list[Leg]] = field(default_factory=dict)
    dropped: list[int] = field(default_factory=list)  # stops that no longer fit anywhere


def _seconds(travel: TravelModel, a: Point, b: Point) -> int:
    return round(travel.minutes(a, b) * 60)


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600 % 24:02d}:{seconds // 60 % 60:02d}"


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
    matrix = [[_seconds(travel, a, b) for b in points] for a in points]
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


def unassigned_reason(stop: Stop, crews: Iterable[Crew]) -> str:
    """Why a stop could not be planned, in the dispatcher's words."""
    if not stop.candidates:
        return "没有具备该技能且服务区域覆盖该地址的技术员"
    if not any(crew.user_id in stop.candidates for crew in crews):
        return "可接单的技术员今天都不在班"
    return "可接单的技术员当天已排满，或无法在约定时段内到达"


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
        arrival = _arrival(clock + round(minutes * 60), stop)
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
    if clock + _seconds(travel, position, crew.home) > crew.shift[1]:
        return None
    return legs


def _arrival(reached: int, stop: Stop) -> int | None:
    """When work can start at a stop reached at ``reached``: the window's opening if early, None if late."""
    if not stop.windows:
        return reached
    # A minute of slack, as above: a plan VROOM made must pass this check.
    opening = min((window for window in stop.windows if window[1] + 60 >= reached), default=None)
    return None if opening is None else max(reached, opening[0])


def _route_seconds(state: CrewState, sequence: Sequence[Stop], travel: TravelModel) -> int:
    points = [state.position, *(stop.position for stop in sequence), state.crew.home]
    return sum(_seconds(travel, a, b) for a, b in itertools.pairwise(points))


def insert_emergency(
    crews: Sequence[Crew],
    routes: dict[int, list[Leg]],
    emergency: Stop,
    *,
    due: int,
    now: int,
    travel: TravelModel,
    replan_seconds: float = 1.0,
) -> Insertion:
    """Put the urgent stop where it is reached before ``due`` at the least extra driving."""
    states = {crew.user_id: crew_state(crew, routes.get(crew.user_id, []), now=now) for crew in crews}
    eligible = [states[crew.user_id] for crew in crews if crew.user_id in emergency.candidates]
    if not eligible:
        return Insertion(None, None, unassigned_reason(emergency, []), "none")
    best: tuple[int, int, int, list[Leg]] | None = None  # (extra seconds, arrival, crew, legs)
    for state in eligible:
        if now >= state.crew.shift[1]:
            continue
        base = _route_seconds(state, state.remaining, travel)
        for index in range(len(state.remaining) + 1):
            sequence = [*state.remaining[:index], emergency, *state.remaining[index:]]
            # The daily limit is a planning target: an emergency may take a crew one job over it.
            legs = schedule(state, sequence, travel=travel, deadline={emergency.ticket_id: due}, over_limit=1)
            if legs is None:
                continue
            extra = _route_seconds(state, sequence, travel) - base
            arrival = next(leg.arrival for leg in legs if leg.stop.ticket_id == emergency.ticket_id)
            if best is None or (extra, arrival) < best[:2]:
                best = (extra, arrival, state.crew.user_id, legs)
    if best is not None:
        extra, arrival, crew_id, legs = best
        reason = f"插入 {states[crew_id].crew.username} 的行程，预计 {_hhmm(arrival)} 到达（时限 {_hhmm(due)}），多行驶约 {extra // 60} 分钟"
        return Insertion(crew_id, arrival, reason, "insertion", {crew_id: legs})
    moved = _insert_with_one_move(states, eligible, emergency, due=due, travel=travel)
    if moved is not None:
        return moved
    return _replan_nearest(states, eligible, emergency, due=due, now=now, travel=travel, seconds=replan_seconds)


def _cheapest_insertion(
    state: CrewState, stop: Stop, *, travel: TravelModel, deadline: dict[int, int] | None = None, over_limit: int = 0
) -> tuple[int, list[Leg]] | None:
    """The least extra driving (seconds) at which ``stop`` fits into the crew's remaining route."""
    base = _route_seconds(state, state.remaining, travel)
    best: tuple[int, list[Leg]] | None = None
    for index in range(len(state.remaining) + 1):
        sequence = [*state.remaining[:index], stop, *state.remaining[index:]]
        legs = schedule(state, sequence, travel=travel, deadline=deadline, over_limit=over_limit)
        if legs is not None:
            extra = _route_seconds(state, sequence, travel) - base
            if best is None or extra < best[0]:
                best = (extra, legs)
    return best


def _insert_with_one_move(
    states: dict[int, CrewState], eligible: Sequence[CrewState], emergency: Stop, *, due: int, travel: TravelModel
) -> Insertion | None:
    """Make room on one of the nearest crews by moving one of its planned jobs to another crew (which
    must still keep every window), then put the emergency in the gap."""
    nearest = sorted(eligible, key=lambda s: s.free_at + _seconds(travel, s.position, emergency.position))
    best: tuple[int, int, CrewState, list[Leg], CrewState, list[Leg]] | None = None
    rehomed: dict[int, tuple[int, CrewState, list[Leg]] | None] = {}
    for state in nearest[:NEIGHBOURS_FOR_REPLAN]:
        for index, moved in enumerate(state.remaining):
            rest = replace(state, remaining=[*state.remaining[:index], *state.remaining[index + 1 :]])
            placed = _cheapest_insertion(
                rest, emergency, travel=travel, deadline={emergency.ticket_id: due}, over_limit=1
            )
            if placed is None:
                continue
            if moved.ticket_id not in rehomed:
                rehomed[moved.ticket_id] = _rehome(states, moved, exclude=state.crew.user_id, travel=travel)
            target = rehomed[moved.ticket_id]
            if target is None:
                continue
            extra = placed[0] + target[0]
            arrival = next(leg.arrival for leg in placed[1] if leg.stop.ticket_id == emergency.ticket_id)
            if best is None or (extra, arrival) < best[:2]:
                best = (extra, arrival, state, placed[1], target[1], target[2])
    if best is None:
        return None
    extra, arrival, state, legs, other, other_legs = best
    moved_stop = next(stop for stop in state.remaining if stop not in [leg.stop for leg in legs])
    reason = (
        f"{state.crew.username} 预计 {_hhmm(arrival)} 到达（时限 {_hhmm(due)}），"
        f"其原计划的 {moved_stop.label or moved_stop.ticket_id} 改由 {other.crew.username} 上门"
    )
    routes = {state.crew.user_id: legs, other.crew.user_id: other_legs}
    return Insertion(state.crew.user_id, arrival, reason, "move", routes)


def _rehome(
    states: dict[int, CrewState], stop: Stop, *, exclude: int, travel: TravelModel
) -> tuple[int, CrewState, list[Leg]] | None:
    """The cheapest other crew (among the nearest allowed ones) that can take the stop within its window."""
    allowed = [s for s in states.values() if s.crew.user_id != exclude and s.crew.user_id in stop.candidates]
    allowed.sort(key=lambda s: _seconds(travel, s.position, stop.position))
    best: tuple[int, CrewState, list[Leg]] | None = None
    for other in allowed[: NEIGHBOURS_FOR_REPLAN + 5]:
        placed = _cheapest_insertion(other, stop, travel=travel)
        if placed is not None and (best is None or placed[0] < best[0]):
            best = (placed[0], other, placed[1])
    return best


def _replan_nearest(
    states: dict[int, CrewState],
    eligible: Sequence[CrewState],
    emergency: Stop,
    *,
    due: int,
    now: int,
    travel: TravelModel,
    seconds: float,
) -> Insertion:
    """Re-solve the remaining days of the crews nearest to the emergency, the emergency first. Each keeps
    its own jobs (re-sequenced); a job one of them must give up goes to a crew outside the re-plan when
    one can take it in its window, else back to the dispatcher."""
    nearest = sorted(eligible, key=lambda s: s.free_at + _seconds(travel, s.position, emergency.position))
    nearest = nearest[:NEIGHBOURS_FOR_REPLAN]
    soonest = nearest[0]
    earliest = soonest.free_at + _seconds(travel, soonest.position, emergency.position)
    if earliest > due:
        return Insertion(
            None,
            None,
            f"无人能在时限 {_hhmm(due)} 前到达：最早为 {soonest.crew.username} 约 {_hhmm(earliest)}",
            "none",
        )
    # Nobody loses a job to their daily limit here: each crew keeps room for what it already has, plus
    # the emergency (one over the limit at most, as for an insertion).
    crews = [
        replace(
            state.crew,
            start=state.position,
            jobs_done=state.crew.jobs_done + state.done,
            max_jobs=max(state.crew.max_jobs, state.crew.jobs_done + state.done + len(state.remaining)) + 1,
        )
        for state in nearest
    ]
    urgent = replace(emergency, windows=((now, due),), priority=URGENT_PRIORITY)
    free_at = {state.crew.user_id: state.free_at for state in nearest}
    # First try giving up at most one planned job (each weighs almost as much as the emergency), then as
    # many as it takes.
    for weight in (URGENT_PRIORITY - 1, 1):
        stops = [
            urgent,
            *(
                replace(stop, priority=weight, candidates=frozenset({state.crew.user_id}))
                for state in nearest
                for stop in state.remaining
            ),
        ]
        routes, unassigned = solve_routes(
            crews, stops, travel=travel, seconds=seconds / 2, not_before=now, free_at=free_at
        )
        if urgent.ticket_id not in unassigned:
            break
    done = {state.crew.user_id: state.done for state in nearest}
    routes = {
        crew_id: [replace(leg, sequence=leg.sequence + done[crew_id]) for leg in legs]
        for crew_id, legs in routes.items()
    }
    for state in nearest:
        routes.setdefault(state.crew.user_id, [])
    owner = next(
        (crew_id for crew_id, legs in routes.items() for leg in legs if leg.stop.ticket_id == urgent.ticket_id), None
    )
    if owner is None:
        return Insertion(None, None, f"重新优化后仍无法在时限 {_hhmm(due)} 前安排", "none")
    arrival = next(leg.arrival for leg in routes[owner] if leg.stop.ticket_id == urgent.ticket_id)
    originals = {stop.ticket_id: stop for state in nearest for stop in state.remaining}
    replanned = {state.crew.user_id for state in nearest}
    outside = {crew_id: state for crew_id, state in states.items() if crew_id not in replanned}
    dropped, rehomed = [], 0
    for ticket_id in unassigned:
        if ticket_id == emergency.ticket_id:
            continue
        target = _rehome(outside, originals[ticket_id], exclude=-1, travel=travel)
        if target is None:
            dropped.append(ticket_id)
            continue
        _, other, legs = target
        outside[other.crew.user_id] = replace(other, remaining=[leg.stop for leg in legs])
        routes[other.crew.user_id] = legs
        rehomed += 1
    name = next(state.crew.username for state in nearest if state.crew.user_id == owner)
    reason = f"重新优化附近 {len(nearest)} 名技术员的行程：{name} 预计 {_hhmm(arrival)} 到达（时限 {_hhmm(due)}）"
    if rehomed:
        reason += f"，{rehomed} 个原计划任务改由其他技术员上门"
    if dropped:
        reason += f"，{len(dropped)} 个原计划任务需重新安排"
    return Insertion(owner, arrival, reason, "replan", routes, dropped)
