"""The planner on hand-made instances: eligibility, windows, lunch breaks, job limits, priorities, and
emergency insertion (insertion, re-plan, escalation reason)."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from aftersales.dispatch.network import rules
from aftersales.dispatch.planning import rules as planning
from aftersales.dispatch.planning.rules import insertion

TRAVEL = rules.StraightLineTravel("urban")
H = 3600
WEST, EAST = (113.90, 22.54), (114.10, 22.54)  # about 27.8 km apart by road, 76 min at urban speed
NEAR_WEST, NEAR_EAST = (113.905, 22.54), (114.095, 22.54)


def crew(user_id: int, home: tuple[float, float], **overrides: object) -> planning.Crew:
    values: dict[str, object] = {
        "user_id": user_id,
        "username": f"t{user_id}",
        "start": home,
        "home": home,
        "shift": (8 * H, 18 * H),
    }
    values.update(overrides)
    return planning.Crew(**values)  # type: ignore[arg-type]


def stop(ticket_id: int, position: tuple[float, float], candidates: set[int], **overrides: object) -> planning.Stop:
    values: dict[str, object] = {
        "ticket_id": ticket_id,
        "position": position,
        "service": 45 * 60,
        "candidates": frozenset(candidates),
    }
    values.update(overrides)
    return planning.Stop(**values)  # type: ignore[arg-type]


def test_only_eligible_crews_get_a_stop_even_when_another_is_nearer() -> None:
    crews = [crew(1, WEST), crew(2, EAST)]
    # Each stop sits next to the crew that may not take it.
    result = planning.plan_day(crews, [stop(10, NEAR_WEST, {2}), stop(11, NEAR_EAST, {1})], travel=TRAVEL, seconds=1)
    assert {leg.stop.ticket_id: leg.technician_id for leg in result.legs} == {10: 2, 11: 1}
    assert result.unassigned == {}


def test_appointment_windows_are_kept_and_the_order_follows_them() -> None:
    stops = [
        stop(20, NEAR_WEST, {1}, windows=((14 * H, 16 * H),)),
        stop(21, NEAR_EAST, {1}, windows=((9 * H, 11 * H),)),
        stop(22, WEST, {1}, windows=((11 * H, 13 * H),)),
    ]
    result = planning.plan_day([crew(1, WEST)], stops, travel=TRAVEL, seconds=1)
    route = result.route_of(1)
    assert [leg.stop.ticket_id for leg in route] == [21, 22, 20]
    assert [leg.sequence for leg in route] == [1, 2, 3]
    for leg in route:
        window = leg.stop.windows[0]
        assert window[0] <= leg.arrival <= window[1]
        assert leg.departure == leg.arrival + 45 * 60
    assert route[0].km == round(TRAVEL.km(WEST, NEAR_EAST), 2)


def test_the_lunch_break_takes_its_hour() -> None:
    # 11:00-14:00 with three 50-minute jobs on the doorstep: all three fit without lunch, two with it.
    stops = [stop(30 + i, WEST, {1}, service=50 * 60) for i in range(3)]
    without = planning.plan_day([crew(1, WEST, shift=(11 * H, 14 * H))], stops, travel=TRAVEL, seconds=1)
    assert len(without.legs) == 3 and without.unassigned == {}
    lunch = crew(1, WEST, shift=(11 * H, 14 * H), break_window=(12 * H, 13 * H))
    with_lunch = planning.plan_day([lunch], stops, travel=TRAVEL, seconds=1)
    assert len(with_lunch.legs) == 2
    assert list(with_lunch.unassigned.values()) == ["可接单的技术员当天已排满，或无法在约定时段内到达"]


def test_daily_job_limit_and_priorities_decide_who_is_left_out() -> None:
    stops = [stop(40, WEST, {1}), stop(41, WEST, {1}, priority=100), stop(42, WEST, {1})]
    result = planning.plan_day([crew(1, WEST, max_jobs=1)], stops, travel=TRAVEL, seconds=1)
    assert [leg.stop.ticket_id for leg in result.legs] == [41]
    assert sorted(result.unassigned) == [40, 42]


def test_unassigned_reasons() -> None:
    crews = [crew(1, WEST)]
    result = planning.plan_day(crews, [stop(50, WEST, set()), stop(51, WEST, {9})], travel=TRAVEL, seconds=1)
    assert result.unassigned == {
        50: "没有具备该技能且服务区域覆盖该地址的技术员",
        51: "可接单的技术员今天都不在班",
    }


def _routes(result: planning.DayPlanResult) -> dict[int, list[planning.Leg]]:
    routes: dict[int, list[planning.Leg]] = {}
    for leg in result.legs:
        routes.setdefault(leg.technician_id, []).append(leg)
    return routes


def test_an_emergency_goes_to_the_crew_that_makes_the_deadline_with_the_least_detour() -> None:
    crews = [crew(1, WEST), crew(2, EAST)]
    booked = [
        stop(60, NEAR_WEST, {1}, windows=((13 * H, 14 * H),)),
        stop(61, NEAR_EAST, {2}, windows=((13 * H, 14 * H),)),
    ]
    plan = planning.plan_day(crews, booked, travel=TRAVEL, seconds=1)
    emergency = stop(99, (113.91, 22.545), {1, 2}, priority=100)
    now = 10 * H
    result = planning.insert_emergency(crews, _routes(plan), emergency, due=now + 2 * H, now=now, travel=TRAVEL)
    assert (result.technician_id, result.method) == (1, "insertion")
    assert result.arrival is not None and now < result.arrival <= now + 2 * H
    legs = result.routes[1]
    assert [leg.stop.ticket_id for leg in legs] == [99, 60]  # the booked job keeps its window
    assert 13 * H <= legs[1].arrival <= 14 * H
    assert result.reason.startswith("插入 t1 的行程，预计 10:")


def test_the_job_in_hand_is_finished_before_the_emergency() -> None:
    crews = [crew(1, WEST)]
    plan = planning.plan_day(crews, [stop(70, NEAR_WEST, {1}, windows=((9 * H, 10 * H),))], travel=TRAVEL, seconds=1)
    in_hand = plan.legs[0]
    now = in_hand.arrival + 10 * 60  # ten minutes into the job
    emergency = stop(98, WEST, {1})
    result = planning.insert_emergency(crews, _routes(plan), emergency, due=now + 2 * H, now=now, travel=TRAVEL)
    assert result.technician_id == 1
    assert result.arrival is not None and result.arrival >= in_hand.departure
    assert [leg.stop.ticket_id for leg in result.routes[1]] == [98]


def test_when_nobody_can_make_it_the_reason_names_the_earliest_arrival() -> None:
    crews = [crew(1, WEST)]
    now = 10 * H
    far = stop(97, EAST, {1})  # 76 minutes away, due in 30
    result = planning.insert_emergency(crews, {}, far, due=now + 30 * 60, now=now, travel=TRAVEL)
    assert (result.technician_id, result.method) == (None, "none")
    assert result.reason == "无人能在时限 10:30 前到达：最早为 t1 约 11:15"
    nobody = planning.insert_emergency(crews, {}, stop(96, WEST, set()), due=now + H, now=now, travel=TRAVEL)
    assert nobody.reason == "没有具备该技能且服务区域覆盖该地址的技术员"


def test_a_full_day_is_replanned_to_fit_the_emergency() -> None:
    # Two crews whose windows leave no gap for an insertion; the re-plan serves the emergency first.
    crews = [crew(1, WEST, shift=(8 * H, 12 * H)), crew(2, WEST, shift=(8 * H, 12 * H))]
    booked = [stop(80 + i, WEST, {1, 2}, service=55 * 60, windows=((8 * H, 12 * H),)) for i in range(8)]
    plan = planning.plan_day(crews, booked, travel=TRAVEL, seconds=1)
    assert len(plan.legs) == 8  # four 55-minute jobs each fill the morning
    now = 8 * H
    result = planning.insert_emergency(
        crews, _routes(plan), stop(95, WEST, {1, 2}), due=now + 2 * H, now=now, travel=TRAVEL
    )
    assert result.method == "replan" and result.technician_id in (1, 2)
    assert result.arrival is not None and result.arrival <= now + 2 * H
    # The two jobs begun at 08:00 are finished first; of the other six, one no longer fits and goes back
    # to the dispatcher.
    in_hand = [leg.stop.ticket_id for leg in plan.legs if leg.arrival <= now]
    assert len(in_hand) == 2 and len(result.dropped) == 1
    planned = [leg.stop.ticket_id for legs in result.routes.values() for leg in legs]
    assert sorted(in_hand + planned + result.dropped) == sorted([95, *range(80, 88)])


def test_schedule_refuses_a_missed_window_and_an_overrun_shift() -> None:
    state = planning.crew_state(crew(1, WEST, shift=(8 * H, 10 * H)), [], now=9 * H)
    assert planning.schedule(state, [stop(1, EAST, {1}, windows=((9 * H, 10 * H),))], travel=TRAVEL) is None
    assert planning.schedule(state, [stop(2, NEAR_EAST, {1})], travel=TRAVEL) is None  # cannot be home by 10:00
    legs = planning.schedule(state, [stop(3, WEST, {1})], travel=TRAVEL)
    assert legs is not None and (legs[0].arrival, legs[0].departure) == (9 * H, 9 * H + 45 * 60)


def test_one_planned_job_moves_to_another_crew_to_make_room() -> None:
    # t1 (west, off at 12:00) has two 55-minute jobs at 10-12; t2 is 76 minutes away in the east. The
    # emergency next to t1 is due by 10:30: t2 cannot make it and t1 has no room, unless t2 takes one job.
    crews = [crew(1, WEST, shift=(8 * H, 12 * H)), crew(2, NEAR_EAST)]
    booked = [stop(90 + i, WEST, {1, 2}, service=55 * 60, windows=((10 * H, 12 * H),), label=f"J{i}") for i in range(2)]
    plan = planning.plan_day(crews, booked, travel=TRAVEL, seconds=1)
    assert {leg.technician_id for leg in plan.legs} == {1}
    now = 9 * H + 30 * 60
    result = planning.insert_emergency(
        crews, _routes(plan), stop(89, WEST, {1, 2}), due=now + H, now=now, travel=TRAVEL
    )
    assert (result.method, result.technician_id, result.arrival, result.dropped) == ("move", 1, now, [])
    mine = [leg.stop.ticket_id for leg in result.routes[1]]
    theirs = [leg.stop.ticket_id for leg in result.routes[2]]
    assert mine[0] == 89 and len(mine) == 2 and len(theirs) == 1 and sorted(mine[1:] + theirs) == [90, 91]
    moved = result.routes[2][0]
    assert 10 * H <= moved.arrival <= 12 * H
    assert result.reason == f"t1 预计 09:30 到达（时限 10:30），其原计划的 J{theirs[0] - 90} 改由 t2 上门"


def _leg(ticket_id: int, arrival: int, departure: int, minutes: float) -> planning.Leg:
    return planning.Leg(stop(ticket_id, WEST, {1}), 1, ticket_id, arrival, departure, 0.0, minutes)


def test_a_crew_already_driving_keeps_the_job_it_drives_to() -> None:
    legs = [_leg(1, 9 * H + 5 * 60, 9 * H + 50 * 60, 65.0), _leg(2, 10 * H + 30 * 60, 11 * H + 15 * 60, 10.0)]
    state = planning.crew_state(crew(1, WEST), legs, now=9 * H)  # left at 08:00, arrives 09:05
    assert (state.done, state.free_at, [s.ticket_id for s in state.remaining]) == (1, 9 * H + 50 * 60, [2])


def test_lunch_in_the_plans_idle_gap_counts_as_taken_and_ends_before_the_crew_is_free() -> None:
    lunch_crew = crew(1, WEST, break_window=(12 * H, 13 * H))
    legs = [
        _leg(1, 11 * H, 11 * H + 45 * 60, 2.6),
        _leg(2, 12 * H + 51 * 60, 13 * H + 36 * 60, 6.3),  # 11:45-12:45 lunch, then 6 minutes' drive
    ]
    during = planning.crew_state(lunch_crew, legs, now=12 * H)
    assert (during.break_taken, during.free_at) == (True, 12 * H + 45 * 60)
    before = planning.crew_state(lunch_crew, legs, now=11 * H + 20 * 60)
    assert (before.break_taken, before.free_at) == (False, 11 * H + 45 * 60)


def _random_instance(rng: random.Random) -> tuple[list[planning.Crew], dict[int, list[planning.Leg]], planning.Stop]:
    """Crews with planned days (some stops booked into windows) and an urgent stop, around Shenzhen."""

    def point() -> tuple[float, float]:
        return (round(rng.uniform(113.88, 114.12), 4), round(rng.uniform(22.50, 22.62), 4))

    crews, routes, ticket_id = [], {}, 1
    for user_id in range(1, rng.randint(2, 5) + 1):
        lunch = (12 * H, 13 * H) if rng.random() < 0.7 else None
        member = crew(user_id, point(), break_window=lunch, max_jobs=rng.randint(4, 9))
        crews.append(member)
        clock, legs = 8 * H, []
        for sequence in range(1, rng.randint(0, 7) + 1):
            opening = clock + rng.randint(0, 2) * H
            windows = ((opening, opening + 2 * H),) if rng.random() < 0.5 else ()
            planned = stop(ticket_id, point(), {user_id, rng.randint(1, 5)}, windows=windows)
            legs.append(_leg(ticket_id, clock + 30 * 60, clock + 75 * 60, 30.0))
            legs[-1] = replace(legs[-1], stop=planned, technician_id=user_id, sequence=sequence)
            clock, ticket_id = clock + 90 * 60, ticket_id + 1
        routes[user_id] = legs
    now = rng.randint(8 * H, 15 * H)
    urgent = stop(999, point(), {crew.user_id for crew in crews if rng.random() < 0.8}, windows=((now, now + 2 * H),))
    return crews, routes, urgent


def test_pruned_insertion_places_decide_exactly_as_trying_every_place(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ruling out places where the stop cannot be reached in time never changes the decision: the same
    crew, arrival, method and routes as trying every place, on 150 random days."""
    rng = random.Random(20261204)
    instances = [_random_instance(rng) for _ in range(150)]

    def decide() -> list[planning.Insertion]:
        return [
            planning.insert_emergency(
                crews,
                routes,
                urgent,
                due=urgent.windows[0][1],
                now=urgent.windows[0][0],
                travel=TRAVEL,
                replan_seconds=0.2,
            )
            for crews, routes, urgent in instances
        ]

    pruned = decide()
    monkeypatch.setattr(
        insertion, "_positions_in_time", lambda state, stop, *, due, travel: list(range(len(state.remaining) + 1))
    )
    exhaustive = decide()
    assert [(i.technician_id, i.arrival, i.method, i.routes, i.dropped) for i in pruned] == [
        (i.technician_id, i.arrival, i.method, i.routes, i.dropped) for i in exhaustive
    ]
    # The sample takes every path: insertion, one move, re-plan and escalation.
    assert {i.method for i in pruned} == {"insertion", "move", "replan", "none"}


def test_a_place_ruled_out_is_one_the_full_schedule_refuses() -> None:
    rng = random.Random(7)
    refused = 0
    for _ in range(150):
        crews, routes, urgent = _random_instance(rng)
        due, now = urgent.windows[0][1], urgent.windows[0][0]
        for member in crews:
            state = planning.crew_state(member, routes.get(member.user_id, []), now=now)
            kept = insertion._positions_in_time(state, urgent, due=due, travel=TRAVEL)
            for index in range(len(state.remaining) + 1):
                if index in kept:
                    continue
                sequence = [*state.remaining[:index], urgent, *state.remaining[index:]]
                legs = planning.schedule(state, sequence, travel=TRAVEL, deadline={urgent.ticket_id: due}, over_limit=9)
                assert legs is None
                refused += 1
    assert refused > 100  # the check ran on many ruled-out places
