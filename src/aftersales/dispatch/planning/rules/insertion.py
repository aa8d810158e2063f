"""Emergency insertion: put an urgent stop into the current plan so that it is reached before its on-site
deadline. First the cheapest feasible insertion into one crew's remaining route (every later appointment
still kept, the job in hand finished first); then making room by moving one planned job to another crew;
when no crew can take it either way, the nearest crews' remaining days are re-solved with the urgent stop
at the top priority; when even that fails, the reason (the earliest anyone could arrive) is returned for
escalation. Pure: no database, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from aftersales.dispatch.network.rules import TravelModel
from aftersales.dispatch.planning.rules.crews import (
    Crew,
    CrewState,
    Leg,
    Stop,
    arrival_at,
    crew_state,
    route_seconds,
    schedule,
    travel_seconds,
)
from aftersales.dispatch.planning.rules.dayplan import solve_routes, unassigned_cause, unassigned_reason

URGENT_PRIORITY = 100
NEIGHBOURS_FOR_REPLAN = 10


@dataclass(frozen=True)
class Insertion:
    """Where the emergency went (or why it could not), and every crew's route that changed."""

    technician_id: int | None
    arrival: int | None
    reason: str
    method: str  # insertion | move | replan | none
    routes: dict[int, list[Leg]] = field(default_factory=dict)
    dropped: list[int] = field(default_factory=list)  # stops that no longer fit anywhere
    # The reason as a timeline note ({"key": ..., "params": ...}) that the console shows in its language.
    reason_note: dict[str, Any] = field(kw_only=True)


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600 % 24:02d}:{seconds // 60 % 60:02d}"


def _note(key: str, **params: object) -> dict[str, Any]:
    """A reason as a timeline note: its message key and parameters."""
    return {"key": key, "params": params}


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
        reason_note = _note(unassigned_cause(emergency, []))
        return Insertion(None, None, unassigned_reason(emergency, []), "none", reason_note=reason_note)
    best: tuple[int, int, int, list[Leg]] | None = None  # (extra seconds, arrival, crew, legs)
    for state in eligible:
        if now >= state.crew.shift[1]:
            continue
        positions = _positions_in_time(state, emergency, due=due, travel=travel)
        base = route_seconds(state, state.remaining, travel) if positions else 0
        for index in positions:
            sequence = [*state.remaining[:index], emergency, *state.remaining[index:]]
            # The daily limit is a planning target: an emergency may take a crew one job over it.
            legs = schedule(state, sequence, travel=travel, deadline={emergency.ticket_id: due}, over_limit=1)
            if legs is None:
                continue
            extra = route_seconds(state, sequence, travel) - base
            arrival = next(leg.arrival for leg in legs if leg.stop.ticket_id == emergency.ticket_id)
            if best is None or (extra, arrival) < best[:2]:
                best = (extra, arrival, state.crew.user_id, legs)
    if best is not None:
        extra, arrival, crew_id, legs = best
        name, eta, deadline, minutes = states[crew_id].crew.username, _hhmm(arrival), _hhmm(due), extra // 60
        reason = f"插入 {name} 的行程，预计 {eta} 到达（时限 {deadline}），多行驶约 {minutes} 分钟"
        note = _note("dispatch.inserted", technician=name, eta=eta, due=deadline, minutes=minutes)
        return Insertion(crew_id, arrival, reason, "insertion", {crew_id: legs}, reason_note=note)
    moved = _insert_with_one_move(states, eligible, emergency, due=due, travel=travel)
    if moved is not None:
        return moved
    return _replan_nearest(states, eligible, emergency, due=due, now=now, travel=travel, seconds=replan_seconds)


def _cheapest_insertion(
    state: CrewState, stop: Stop, *, travel: TravelModel, deadline: dict[int, int] | None = None, over_limit: int = 0
) -> tuple[int, list[Leg]] | None:
    """The least extra driving (seconds) at which ``stop`` fits into the crew's remaining route."""
    due = deadline.get(stop.ticket_id) if deadline else None
    positions = (
        range(len(state.remaining) + 1) if due is None else _positions_in_time(state, stop, due=due, travel=travel)
    )
    if not positions:
        return None
    base = route_seconds(state, state.remaining, travel)
    best: tuple[int, list[Leg]] | None = None
    for index in positions:
        sequence = [*state.remaining[:index], stop, *state.remaining[index:]]
        legs = schedule(state, sequence, travel=travel, deadline=deadline, over_limit=over_limit)
        if legs is not None:
            extra = route_seconds(state, sequence, travel) - base
            if best is None or extra < best[0]:
                best = (extra, legs)
    return best


def _positions_in_time(state: CrewState, stop: Stop, *, due: int, travel: TravelModel) -> list[int]:
    """The places in the crew's remaining route where ``stop`` could still be reached by ``due``.

    The route before each place is driven once, without lunch: a lunch before the stop only delays it,
    and a later start never makes a window or the deadline easier, so a place ruled out here is ruled
    out for ``schedule`` too. This spares the full schedule of every place that cannot work."""
    positions: list[int] = []
    clock, position = state.free_at, state.position
    for index in range(len(state.remaining) + 1):
        reached = arrival_at(clock + travel_seconds(travel, position, stop.position), stop)
        if reached is not None and reached <= due:
            positions.append(index)
        if index == len(state.remaining):
            break
        following = state.remaining[index]
        arrival = arrival_at(clock + travel_seconds(travel, position, following.position), following)
        if arrival is None:
            break  # the route up to here already misses a window: no later place can work
        clock, position = arrival + following.service, following.position
    return positions


def _insert_with_one_move(
    states: dict[int, CrewState], eligible: Sequence[CrewState], emergency: Stop, *, due: int, travel: TravelModel
) -> Insertion | None:
    """Make room on one of the nearest crews by moving one of its planned jobs to another crew (which
    must still keep every window), then put the emergency in the gap."""
    nearest = sorted(eligible, key=lambda s: s.free_at + travel_seconds(travel, s.position, emergency.position))
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
    params = {
        "technician": state.crew.username,
        "eta": _hhmm(arrival),
        "due": _hhmm(due),
        "job": moved_stop.label or moved_stop.ticket_id,
        "other": other.crew.username,
    }
    reason = (
        f"{params['technician']} 预计 {params['eta']} 到达（时限 {params['due']}），"
        f"其原计划的 {params['job']} 改由 {params['other']} 上门"
    )
    routes = {state.crew.user_id: legs, other.crew.user_id: other_legs}
    return Insertion(state.crew.user_id, arrival, reason, "move", routes, reason_note=_note("dispatch.moved", **params))


def _rehome(
    states: dict[int, CrewState], stop: Stop, *, exclude: int, travel: TravelModel
) -> tuple[int, CrewState, list[Leg]] | None:
    """The cheapest other crew (among the nearest allowed ones) that can take the stop within its window."""
    allowed = [s for s in states.values() if s.crew.user_id != exclude and s.crew.user_id in stop.candidates]
    allowed.sort(key=lambda s: travel_seconds(travel, s.position, stop.position))
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
    nearest = sorted(eligible, key=lambda s: s.free_at + travel_seconds(travel, s.position, emergency.position))
    nearest = nearest[:NEIGHBOURS_FOR_REPLAN]
    soonest = nearest[0]
    earliest = soonest.free_at + travel_seconds(travel, soonest.position, emergency.position)
    if earliest > due:
        return Insertion(
            None,
            None,
            f"无人能在时限 {_hhmm(due)} 前到达：最早为 {soonest.crew.username} 约 {_hhmm(earliest)}",
            "none",
            reason_note=_note(
                "dispatch.nobody_in_time", due=_hhmm(due), technician=soonest.crew.username, eta=_hhmm(earliest)
            ),
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
        reason_note = _note("dispatch.replan_failed", due=_hhmm(due))
        return Insertion(None, None, f"重新优化后仍无法在时限 {_hhmm(due)} 前安排", "none", reason_note=reason_note)
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
    note = _note(
        "dispatch.replanned",
        crews=len(nearest),
        technician=name,
        eta=_hhmm(arrival),
        due=_hhmm(due),
        rehomed=_note("dispatch.replanned_rehomed", count=rehomed) if rehomed else "",
        dropped=_note("dispatch.replanned_dropped", count=len(dropped)) if dropped else "",
    )
    return Insertion(owner, arrival, reason, "replan", routes, dropped, reason_note=note)
