"""JSON API of flagged visits (a check-in far from the address, a short stay): the inspector's list and
review."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from aftersales.accounts.deps import allowed
from aftersales.accounts.enums import Permission
from aftersales.accounts.schemas import Actor
from aftersales.dispatch.fieldwork import flags as field_flags
from aftersales.dispatch.fieldwork.models import VisitFlag
from aftersales.dispatch.fieldwork.schemas import ReviewWrite, VisitFlagPage, VisitFlagRead
from aftersales.web.deps import ClockDep, SessionDep, commit, json_response
from aftersales.web.params import IdPath, Offset

router = APIRouter(prefix="/api/v1", tags=["field"])


def flag_read(flag: VisitFlag) -> VisitFlagRead:
    """A flagged visit as the API shows it."""
    return VisitFlagRead(
        id=flag.id,
        ticket_id=flag.ticket_id,
        technician=flag.technician_name,
        reasons=list(flag.reasons),
        distance_km=flag.distance_km,
        minutes_on_site=flag.minutes_on_site,
        flagged_at=flag.flagged_at,
        is_open=flag.reviewed_at is None,
        reviewed_at=flag.reviewed_at,
        reviewed_by=flag.reviewed_by,
        review_note=flag.review_note,
    )


@router.get("/visit-flags", response_model=VisitFlagPage)
def list_visit_flags(
    session: SessionDep,
    actor: Annotated[Actor, allowed(Permission.QUALITY_INSPECT)],
    state: Annotated[Literal["open", "reviewed", "all"], Query()] = "open",
    technician: Annotated[str | None, Query(max_length=64)] = None,
    reason: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> Response:
    """The inspector's list of flagged visits (far check-in, short stay): open ones by default, newest first."""
    found = field_flags.list_flags(
        session,
        state=None if state == "all" else state,
        technician=technician,
        reason=reason,
        limit=limit,
        offset=offset,
    )
    return json_response(
        VisitFlagPage(
            items=[flag_read(flag) for flag in found.items], total=found.total, limit=found.limit, offset=found.offset
        )
    )


@router.post("/visit-flags/{flag_id}/review", response_model=VisitFlagRead)
def review_visit_flag(
    flag_id: IdPath,
    body: ReviewWrite,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.QUALITY_INSPECT)],
) -> Response:
    """The inspector reviewed the visit: the flag is cleared (audited) and the job counts for first-time-fix."""
    flag = field_flags.review(session, clock=clock, actor=actor, flag_id=flag_id, note=body.note)
    commit(session)
    return json_response(flag_read(flag))
