"""SLA use cases: calendars and policies as data, starting, pausing and meeting targets, and finding
what is due. Flushes, never commits; takes ``now`` from the caller's clock.

- ``calendars``: a calendar's pure spec (cached per database and committed revision), editing its days
  and known years, flagging years without holiday data.
- ``targets``: policies, and planning, storing and re-planning a ticket's targets (the intake path).
- ``clocks``: holds, resumes, meeting, reopening and stopping targets; what the sweep finds due.
- ``editing``: an administrator's changes (policy targets, weekly hours, holidays, entered years), audited.

Callers use this package as one module (``from aftersales.sla import service as sla_service``): the names
below are its interface.
"""

from __future__ import annotations

from aftersales.sla.service.calendars import (
    build_spec,
    calendar_days,
    calendar_spec,
    get_calendar,
    list_calendars,
    mark_year_known,
    remove_calendar_day,
    set_calendar_day,
    set_weekly_hours,
)
from aftersales.sla.service.clocks import (
    Outcome,
    claim_due_targets,
    evaluate_targets,
    meet_target,
    pause_targets,
    restart_target,
    resume_targets,
    state_at,
    stop_all,
    ticket_state,
)
from aftersales.sla.service.editing import (
    ONSITE_KINDS,
    PolicyChange,
    change_policy,
    change_weekly_hours,
    enter_day,
    enter_year,
    policy_fingerprint,
    policy_values,
    remove_day,
)

# The hot-path statements under their old names: tests/core/test_prepared.py checks them on both dialects.
from aftersales.sla.service.statements import TARGET_KEYS as _TARGET_KEYS  # noqa: F401
from aftersales.sla.service.statements import statements as _statements  # noqa: F401
from aftersales.sla.service.targets import (
    PlannedTargets,
    TargetRow,
    get_policy,
    insert_targets,
    list_policies,
    plan_for_ticket,
    policy_spec,
    replan_targets,
    targets_of,
)

__all__ = [
    "ONSITE_KINDS",
    "Outcome",
    "PlannedTargets",
    "PolicyChange",
    "TargetRow",
    "build_spec",
    "calendar_days",
    "calendar_spec",
    "change_policy",
    "change_weekly_hours",
    "claim_due_targets",
    "enter_day",
    "enter_year",
    "evaluate_targets",
    "get_calendar",
    "get_policy",
    "insert_targets",
    "list_calendars",
    "list_policies",
    "mark_year_known",
    "meet_target",
    "pause_targets",
    "plan_for_ticket",
    "policy_fingerprint",
    "policy_spec",
    "policy_values",
    "remove_calendar_day",
    "remove_day",
    "replan_targets",
    "restart_target",
    "resume_targets",
    "set_calendar_day",
    "set_weekly_hours",
    "state_at",
    "stop_all",
    "targets_of",
    "ticket_state",
]
