"""The SLA settings in the console: the policy of each priority (first contact, on-site arrival and
resolution targets, the calendar they count on, when to warn) in ``policies``, and the calendars (hours per
weekday, holidays and make-up workdays 调休, the years whose holidays are entered) in ``calendars``. Every
change goes through ``sla.service``'s audited edits; a form refused for bad input is drawn again with what
was typed. ``router`` mounts both."""

from __future__ import annotations

from fastapi import APIRouter

from aftersales.sla.console import calendars, policies

router = APIRouter(include_in_schema=False)
router.include_router(policies.router)
router.include_router(calendars.router)

__all__ = ["router"]
