"""Day plans and emergency insertion on top of the routing core. No database, no clock: the service
layer (``dayplans``) turns tickets and technicians into ``Crew`` and ``Stop`` values and stores the result.

Times are whole seconds from the plan's origin (local midnight of the plan day).

- ``crews``: the values the planner works on, where a crew stands at ``now`` in its plan (``crew_state``),
  and driving a sequence of stops through windows, shift, job limit and lunch (``schedule``).
- ``dayplan.plan_day``: assign and sequence every stop over the crews with VROOM (skills and service areas
  as eligibility sets, appointment windows, shifts, a lunch break, a daily job limit, priorities).
- ``insertion.insert_emergency``: put an urgent stop into the current plan so that it is reached before its
  on-site deadline. First the cheapest feasible insertion into one crew's remaining route (every later
  appointment still kept, the job in hand finished first); when no crew can take it that way, the
  nearest crews' remaining days are re-solved with the urgent stop at the top priority; when even that
  fails, the reason (the earliest anyone could arrive) is returned for escalation.

Callers use this package as one module (``from aftersales.dispatch.planning import rules as planning``):
the names below are its interface.
"""

from __future__ import annotations

from aftersales.dispatch.planning.rules.crews import (
    BREAK_FLEX,
    Crew,
    CrewState,
    Leg,
    Point,
    Stop,
    crew_state,
    route_seconds,
    schedule,
    travel_seconds,
)
from aftersales.dispatch.planning.rules.dayplan import (
    DayPlanResult,
    plan_day,
    solve_routes,
    unassigned_cause,
    unassigned_reason,
)
from aftersales.dispatch.planning.rules.insertion import (
    NEIGHBOURS_FOR_REPLAN,
    URGENT_PRIORITY,
    Insertion,
    insert_emergency,
)

__all__ = [
    "BREAK_FLEX",
    "NEIGHBOURS_FOR_REPLAN",
    "URGENT_PRIORITY",
    "Crew",
    "CrewState",
    "DayPlanResult",
    "Insertion",
    "Leg",
    "Point",
    "Stop",
    "crew_state",
    "insert_emergency",
    "plan_day",
    "route_seconds",
    "schedule",
    "solve_routes",
    "travel_seconds",
    "unassigned_cause",
    "unassigned_reason",
]
