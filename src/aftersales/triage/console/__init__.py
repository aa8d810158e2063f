"""The triage screens: the intake rules (``intake_rules``: list, new, edit, delete with confirmation), the
trained model versions (``versions``: metrics, activate or roll back with confirmation; training itself is
the CLI's ``aftersales triage train``) and a try-out box (``trial``: a text in, triage's reading out, nothing
kept). ``router`` mounts them all."""

from __future__ import annotations

from fastapi import APIRouter

from aftersales.triage.console import intake_rules, trial, versions

router = APIRouter(include_in_schema=False)
router.include_router(intake_rules.router)
router.include_router(versions.router)
router.include_router(trial.router)

__all__ = ["router"]
