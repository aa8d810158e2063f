"""The ticket screens (HTMX): agent workbench, one ticket's page, dispatcher board, customer self-service.

Each page group is its own module; ``router`` mounts them all.
"""

from __future__ import annotations

from fastapi import APIRouter

from aftersales.usecases.console import board, exports, saved_filters, selfservice, ticket_page, workbench

router = APIRouter(include_in_schema=False)
router.include_router(workbench.router)  # before ticket_page: /tickets/new is not a ticket id
router.include_router(saved_filters.router)  # nor is /tickets/filters
router.include_router(ticket_page.router)
router.include_router(board.router)
router.include_router(selfservice.router)
router.include_router(exports.router)
