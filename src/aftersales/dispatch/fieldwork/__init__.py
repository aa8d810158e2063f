"""The technician's job flow (fieldwork): accept or decline with a reason, on the way, check-in with the
position (meets the on-site SLA at that time), diagnosis, parts used, result with photos, the customer's
confirmation (SMS code or signature), check-out — each a timeline event. The field state is derived from
the timeline by ``rules``.

Use cases take ``session``, ``clock`` and ``actor`` (keyword-only), flush and never commit. Split by use
case: ``steps`` (up to the result), ``closing`` (confirmation, check-out), ``views`` (read models),
``common`` (who may act, recording a step), ``flags`` (visits flagged for the inspector). Edges: the JSON
``api`` (``jobs``, ``flags``, ``attachments`` under ``/api/v1``) and the phone ``console``.
"""

from aftersales.dispatch.fieldwork.closing import (
    CODE_LIFETIME,
    MAX_CODE_ATTEMPTS,
    check_out,
    confirm,
    request_confirmation_code,
)
from aftersales.dispatch.fieldwork.common import load_job, may_act, progress_of
from aftersales.dispatch.fieldwork.steps import (
    accept,
    add_photos,
    check_in,
    decline,
    diagnosis,
    on_the_way,
    parts_used,
    result,
)
from aftersales.dispatch.fieldwork.views import Job, JobCard, attachments_of, get_attachment, job_card, list_jobs

__all__ = [
    "CODE_LIFETIME",
    "MAX_CODE_ATTEMPTS",
    "Job",
    "JobCard",
    "accept",
    "add_photos",
    "attachments_of",
    "check_in",
    "check_out",
    "confirm",
    "decline",
    "diagnosis",
    "get_attachment",
    "job_card",
    "list_jobs",
    "load_job",
    "may_act",
    "on_the_way",
    "parts_used",
    "progress_of",
    "request_confirmation_code",
    "result",
]
