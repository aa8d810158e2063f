"""The ticket screens (HTMX): agent workbench, dispatcher board, customer self-service.

Each page group is its own module; ``router`` mounts them all.
"""

from __future__ import annotations

from fastapi import APIRouter

from aftersales.usecases.console import board, selfservice, workbench

router = APIRouter(include_in_schema=False)
router.include_router(workbench.router)
router.include_router(board.router)
router.include_router(selfservice.router)
