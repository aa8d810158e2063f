"""JSON API of quality inspection (checklist, self-check, samples, forms, rectification, score rollups)
and of the compensation ledger: one ``router`` for the app to mount."""

from fastapi import APIRouter

from aftersales.quality.api import compensation as compensation_routes
from aftersales.quality.api import inspection as inspection_routes

router = APIRouter()
router.include_router(inspection_routes.router)
router.include_router(compensation_routes.router)

__all__ = ["router"]
