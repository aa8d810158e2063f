"""Quality inspection routes: checklist, self-check, samples, forms, rectification, score rollups."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import AliasChoices, Field

from aftersales.accounts.deps import allowed
from aftersales.accounts.enums import Permission
from aftersales.accounts.schemas import Actor
from aftersales.core.timeutil import ensure_utc
from aftersales.quality import inspection, rules
from aftersales.quality.models import Inspection, Rectification
from aftersales.quality.schemas import (
    ChecklistItemRead,
    InspectionDetail,
    InspectionPage,
    InspectionRead,
    InspectionWrite,
    LocalTime,
    NoteWrite,
    ReadModel,
    RectificationRead,
    SampleRead,
    SampleWrite,
    ScoreRead,
    SelfCheckWrite,
)
from aftersales.tickets import service as tickets_service
from aftersales.web.deps import ClockDep, SessionDep, commit, json_response
from aftersales.web.params import IdPath, IdQuery, Offset

router = APIRouter(prefix="/api/v1", tags=["quality"])


class SelfCheckRead(ReadModel):
    id: int
    ticket_id: int
    technician_id: int | None
    items: dict[str, bool] = Field(validation_alias=AliasChoices("answers", "items"))
    passed_items: int
    total_items: int
    note: str | None
    recorded_by: str
    at: LocalTime


def _rectification(task: Rectification, now: datetime) -> RectificationRead:
    return RectificationRead(
        id=task.id,
        inspection_id=task.inspection_id,
        ticket_id=task.ticket_id,
        description=task.description,
        assignee_user_id=task.assignee_user_id,
        assignee_organisation_id=task.assignee_organisation_id,
        due_at=task.due_at,
        status=rules.rectification_state(task.status, task.due_at, now),
        done_by=task.done_by,
        done_at=task.done_at,
        resolution=task.resolution,
    )


# --- Quality ------------------------------------------------------------------------------------------


@router.get("/quality/checklist", response_model=list[ChecklistItemRead])
def get_checklist(
    session: SessionDep, actor: Annotated[Actor, allowed(Permission.QUALITY_SELF_CHECK)], kind: str | None = None
) -> list[ChecklistItemRead]:
    """The self-check items (for one ticket kind when ``kind`` is given)."""
    return [
        ChecklistItemRead(
            code=item.code,
            label=item.label,
            group=item.group,
            applies_to=list(item.applies_to),
            is_required=item.is_required,
        )
        for item in inspection.checklist(session, kind=kind)
    ]


@router.post("/tickets/{ticket_id}/self-check", response_model=SelfCheckRead, status_code=201)
def post_self_check(
    ticket_id: IdPath,
    body: SelfCheckWrite,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.QUALITY_SELF_CHECK)],
) -> SelfCheckRead:
    """The technician's self-check at completion: every required item answered yes or no."""
    record = inspection.record_self_check(
        session, clock=clock, actor=actor, ticket_id=ticket_id, answers=dict(body.items), note=body.note
    )
    commit(session)
    return SelfCheckRead.model_validate(record)


@router.get("/tickets/{ticket_id}/self-checks", response_model=list[SelfCheckRead])
def get_self_checks(
    ticket_id: IdPath, session: SessionDep, actor: Annotated[Actor, allowed(Permission.TICKET_READ)]
) -> list[SelfCheckRead]:
    """The ticket's self-checks."""
    tickets_service.get_ticket(session, ticket_id, actor=actor)
    return [SelfCheckRead.model_validate(record) for record in inspection.self_checks_of(session, ticket_id)]


@router.post("/quality/samples", response_model=SampleRead)
def post_sample(
    body: SampleWrite,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.QUALITY_INSPECT)],
) -> Response:
    """Draw (201) or return the stored (200) sample of a level and period."""
    drawn = inspection.draw_sample(
        session,
        clock=clock,
        actor=actor,
        level=body.level,
        period_start=ensure_utc(body.period_start),
        period_end=ensure_utc(body.period_end),
        seed=body.seed,
    )
    commit(session)
    sample = drawn.sample
    reply = SampleRead(
        id=sample.id,
        level=sample.level,
        period_start=sample.period_start,
        period_end=sample.period_end,
        seed=sample.seed,
        rate=sample.rate,
        population=sample.population,
        size=sample.size,
        strata=sample.strata,
        drawn_by=sample.drawn_by,
        drawn_at=sample.drawn_at,
        inspections=[InspectionRead.model_validate(row) for row in drawn.inspections],
    )
    return json_response(reply, status_code=201 if drawn.created else 200)


@router.get("/quality/inspections", response_model=InspectionPage)
def get_inspections(
    session: SessionDep,
    actor: Annotated[Actor, allowed(Permission.QUALITY_INSPECT)],
    level: str | None = None,
    status: str | None = None,
    sample_id: IdQuery = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> InspectionPage:
    """Inspection forms (``status=pending`` is the inspectors' queue)."""
    page = inspection.list_inspections(
        session, actor=actor, level=level, status=status, sample_id=sample_id, limit=limit, offset=offset
    )
    return InspectionPage(
        items=[InspectionRead.model_validate(row) for row in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


def _detail(session: SessionDep, row: Inspection, now: datetime) -> InspectionDetail:
    tasks = inspection.rectifications_of(session, inspection_id=row.id)
    return InspectionDetail(
        **InspectionRead.model_validate(row).model_dump(), rectifications=[_rectification(task, now) for task in tasks]
    )


@router.get("/quality/inspections/{inspection_id}", response_model=InspectionDetail)
def get_inspection(
    inspection_id: IdPath,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.QUALITY_INSPECT)],
) -> InspectionDetail:
    """One form with its rectification tasks."""
    inspection.require_inspector(actor)
    return _detail(session, inspection.get_inspection(session, inspection_id), clock.now())


@router.post("/quality/inspections/{inspection_id}/submit", response_model=InspectionDetail)
def submit_inspection(
    inspection_id: IdPath,
    body: InspectionWrite,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.QUALITY_INSPECT)],
) -> InspectionDetail:
    """Score a pending form; a failed one opens rectification tasks (due in 3 days unless given)."""
    row = inspection.submit_inspection(
        session,
        clock=clock,
        actor=actor,
        inspection_id=inspection_id,
        scores=dict(body.scores),
        findings=body.findings,
        rectifications=[
            inspection.NewRectification(task.description, ensure_utc(task.due_at) if task.due_at else None)
            for task in body.rectifications
        ],
    )
    commit(session)
    return _detail(session, row, clock.now())


@router.get("/quality/rectifications", response_model=list[RectificationRead])
def get_rectifications(
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.QUALITY_INSPECT)],
    status: Literal["open", "overdue", "done"] | None = None,
) -> list[RectificationRead]:
    """Rectification tasks (quality staff see all)."""
    inspection.require_inspector(actor)
    now = clock.now()
    return [_rectification(task, now) for task in inspection.rectifications_of(session, status=status, now=now)]


@router.post("/quality/rectifications/{rectification_id}/done", response_model=RectificationRead)
def complete_rectification(
    rectification_id: IdPath,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.QUALITY_RECTIFY)],
    body: NoteWrite | None = None,
) -> RectificationRead:
    """The assignee reports the rectification done."""
    task = inspection.complete_rectification(
        session, clock=clock, actor=actor, rectification_id=rectification_id, note=body.note if body else None
    )
    commit(session)
    return _rectification(task, clock.now())


@router.get("/quality/scores", response_model=list[ScoreRead])
def get_scores(
    session: SessionDep,
    actor: Annotated[Actor, allowed(Permission.QUALITY_INSPECT)],
    group: Literal["technician", "provider"],
    start: Annotated[datetime, Query(alias="from")],
    end: Annotated[datetime, Query(alias="to")],
    level: Literal["regional", "hq"] | None = None,
) -> list[ScoreRead]:
    """Average scores and pass rate per technician or provider over inspections done in [from, to)."""
    inspection.require_inspector(actor)
    rows = inspection.score_rollup(session, group=group, start=ensure_utc(start), end=ensure_utc(end), level=level)
    return [
        ScoreRead(
            id=item.key,
            name=item.name,
            inspections=item.row.inspections,
            passed=item.row.passed,
            pass_rate=item.row.pass_rate,
            average_score=item.row.average_score,
            criteria=item.row.criteria,
        )
        for item in rows
    ]
