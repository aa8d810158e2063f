"""The dispatcher's board (HTMX): the open field jobs that need a dispatcher, filtered by city, district,
kind, priority and SLA state, most urgent first, a page of cards at a time with the page's jobs on a map,
refreshing itself; the page and the assignment in ``page``, its read model in ``listing``, each card's
eligible candidates (loaded when asked for) in ``candidates``. ``router`` mounts them all.
"""

from __future__ import annotations

from fastapi import APIRouter

from aftersales.usecases.console.board import candidates, page

router = APIRouter()
router.include_router(page.router)
router.include_router(candidates.router)

__all__ = ["router"]
