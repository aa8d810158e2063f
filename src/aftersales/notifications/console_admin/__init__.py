"""The notification admin screens (HTMX): routing rules (``routing``), the outbox with its dead letters
(``outbox``) and customers' channel preferences (``preferences``); ``router`` mounts them all."""

from __future__ import annotations

from fastapi import APIRouter

from aftersales.notifications.console_admin import outbox, preferences, routing

router = APIRouter(include_in_schema=False)
router.include_router(routing.router)
router.include_router(outbox.router)
router.include_router(preferences.router)

__all__ = ["router"]
