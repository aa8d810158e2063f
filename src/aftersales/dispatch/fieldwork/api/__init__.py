"""JSON API of the technician's job flow (the phone app): ``jobs`` (my jobs, the job card, one route per
step), ``flags`` (the inspector's flagged visits) and ``attachments`` (the files on a ticket); one ``router``
for the app to mount. Errors are ``{"code", "detail", "fields"}``."""

from fastapi import APIRouter

from aftersales.dispatch.fieldwork.api import attachments as attachment_routes
from aftersales.dispatch.fieldwork.api import flags as flag_routes
from aftersales.dispatch.fieldwork.api import jobs as job_routes

router = APIRouter()
# In the order the routes were declared before the split (the OpenAPI document lists them so).
router.include_router(flag_routes.router)
router.include_router(job_routes.router)
router.include_router(attachment_routes.router)

__all__ = ["router"]
