"""One ticket's page (HTMX): the page, its SLA badges and slip in ``page``; the panel it is drawn from
(and redrawn after every form, keeping what was typed) in ``panel``; lifecycle steps, with a confirmation
and a reason for cancel, reopen and the supervisor's override, and comments in ``actions``; the edit form
with its conflict view in ``edit``; dispatch candidates with their reasons in ``candidates``; the emotion
report from triage in ``emotion``. ``router`` mounts them all.
"""

from __future__ import annotations

from fastapi import APIRouter

from aftersales.usecases.console.ticket_page import actions, candidates, edit, page

router = APIRouter()
router.include_router(page.router)
router.include_router(actions.router)
router.include_router(edit.router)
router.include_router(candidates.router)

__all__ = ["router"]
