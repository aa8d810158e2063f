"""The service network in the console (administrators): service points with their districts, capacity and
hours, and the technicians who work from them (``points``); technician profiles with skills, shift,
break, days off, home base and whether the account is active (``technicians``). Saves go through
``network.directory`` (the same rules and audit entries as the JSON API). ``router`` mounts both."""

from __future__ import annotations

from fastapi import APIRouter

from aftersales.dispatch.network.console import points, technicians

router = APIRouter(include_in_schema=False)
router.include_router(points.router)
router.include_router(technicians.router)

__all__ = ["router"]
