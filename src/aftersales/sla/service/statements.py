"""The SLA statements of the intake path, compiled once (building one costs more than running it)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, insert, select

from aftersales.core.db import table_of
from aftersales.core.prepared import Prepared
from aftersales.sla.models import Calendar, Policy, Target

# Every column a new target row is inserted with (prepared inserts name every column).
TARGET_KEYS = (
    "ticket_id",
    "kind",
    "calendar_id",
    "started_at",
    "duration_seconds",
    "warning_ratio",
    "paused_seconds",
    "warn_at",
    "due_at",
    "state",
    "next_check_at",
)


@lru_cache(maxsize=1)
def statements() -> dict[str, Any]:
    """A policy by priority, a calendar's revision, and the insert of a ticket's targets."""
    policies, calendars, targets = table_of(Policy), table_of(Calendar), table_of(Target)
    return {
        "policy": Prepared(
            select(
                policies.c.first_response_minutes,
                policies.c.onsite_minutes,
                policies.c.resolution_minutes,
                policies.c.onsite_kinds,
                policies.c.warning_ratio,
                policies.c.calendar_id,
            ).where(policies.c.priority == bindparam("priority"))
        ),
        "revision": Prepared(select(calendars.c.revision).where(calendars.c.id == bindparam("calendar_id"))),
        "targets": Prepared(insert(targets), keys=TARGET_KEYS),
    }
