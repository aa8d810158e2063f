"""The admin console of accounts (HTML pages): users in ``users``, the organisation tree in
``organisations``, the audit trail in ``audit``; ``router`` mounts them all."""

from __future__ import annotations

from fastapi import APIRouter

from aftersales.accounts.admin import audit, organisations, users

router = APIRouter(include_in_schema=False)
router.include_router(users.router)
router.include_router(organisations.router)
router.include_router(audit.router)

__all__ = ["router"]
