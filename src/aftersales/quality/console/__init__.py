"""The quality screens (HTMX): the inspector's workspace (samples, forms) in ``inspection``, rectification
and score rollups in ``rectification``, the technician's self-check panel on the job card in
``self_check``, and the compensation proposals, approval queue and ledger in
``compensation``; ``router`` mounts them all."""

from __future__ import annotations

from fastapi import APIRouter

from aftersales.quality.console import compensation, inspection, rectification, self_check

router = APIRouter(include_in_schema=False)
router.include_router(inspection.router)
router.include_router(rectification.router)
router.include_router(compensation.router)
router.include_router(self_check.router)

__all__ = ["router"]
