"""Three-level quality inspection: the technician's self-check at completion (``self_check``), regional
(20 %) and HQ (5 %) samples of closed tickets stratified by provider (``sampling``), inspection forms with
scores and findings, rectification tasks and score rollups per technician and provider (``forms``).
Flushes, never commits.
"""

from aftersales.quality.inspection.access import INSPECTION_ROLES, LEVEL_LABELS, require_inspector
from aftersales.quality.inspection.forms import (
    NewRectification,
    ScoreRow,
    complete_rectification,
    get_inspection,
    list_inspections,
    names_of,
    rectifications_for,
    rectifications_of,
    score_rollup,
    submit_inspection,
)
from aftersales.quality.inspection.sampling import DrawnSample, draw_sample, get_sample, recent_samples
from aftersales.quality.inspection.self_check import checklist, record_self_check, seed_checklist, self_checks_of

__all__ = [
    "INSPECTION_ROLES",
    "LEVEL_LABELS",
    "DrawnSample",
    "NewRectification",
    "ScoreRow",
    "checklist",
    "complete_rectification",
    "draw_sample",
    "get_inspection",
    "get_sample",
    "list_inspections",
    "names_of",
    "recent_samples",
    "record_self_check",
    "rectifications_for",
    "rectifications_of",
    "require_inspector",
    "score_rollup",
    "seed_checklist",
    "self_checks_of",
    "submit_inspection",
]
