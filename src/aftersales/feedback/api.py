"""JSON API of the feedback loop: return visits (queue, calls, survey answers, participation) and
promises."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter

from aftersales.accounts.deps import allowed
from aftersales.accounts.enums import Permission
from aftersales.accounts.schemas import Actor
from aftersales.core.timeutil import ensure_utc, to_local
from aftersales.feedback import flows, promises, queue, rules, surveys, visits
from aftersales.feedback.models import Promise, ReturnVisit
from aftersales.feedback.schemas import (
    AttemptWrite,
    FulfilWrite,
    PromiseRead,
    PromiseWrite,
    SurveyRead,
    SurveyWrite,
    VisitRead,
)
from aftersales.tickets import service as tickets_service
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.params import IdPath, IdQuery

router = APIRouter(prefix="/api/v1", tags=["feedback"])


def _visit(visit: ReturnVisit) -> VisitRead:
    return VisitRead(
        id=visit.id,
        ticket_id=visit.ticket_id,
        status=visit.status,
        due_at=to_local(visit.due_at),
        attempts=visit.attempts,
        outcome=visit.outcome,
        assignee_id=visit.assignee_id,
    )


def promise_read(promise: Promise) -> PromiseRead:
    """A promise as the API shows it (times in Asia/Shanghai)."""
    return PromiseRead(
        id=promise.id,
        ticket_id=promise.ticket_id,
        description=promise.description,
        owner_id=promise.owner_id,
        departments=promise.departments,
        due_at=to_local(promise.due_at),
        status=promise.status,
        acknowledged_by=promise.acknowledged_by,
        acknowledged_at=to_local(promise.acknowledged_at) if promise.acknowledged_at else None,
        fulfilled_at=to_local(promise.fulfilled_at) if promise.fulfilled_at else None,
    )


@router.get("/visits", response_model=list[VisitRead])
def list_visits(
    session: SessionDep,
    actor: Annotated[Actor, allowed(Permission.VISIT_READ)],
    ticket_id: IdQuery = None,
    status: str | None = None,
    due_before: datetime | None = None,
    owner: Literal["mine", "unassigned"] | None = None,
) -> list[VisitRead]:
    """Return visits (the agents' queue: ``status=scheduled&due_before=now``; ``owner=mine|unassigned``)."""
    rows = visits.list_visits(
        session,
        actor=actor,
        ticket_id=ticket_id,
        status=status,
        due_before=ensure_utc(due_before) if due_before else None,
        owner=owner,
    )
    return [_visit(visit) for visit in rows]


@router.post("/visits/{visit_id}/claim", response_model=VisitRead)
def claim_visit(
    visit_id: IdPath, session: SessionDep, clock: ClockDep, actor: Annotated[Actor, allowed(Permission.VISIT_RECORD)]
) -> VisitRead:
    """The caller takes a visit nobody owns yet (409 ``visit.claimed`` when another agent has it)."""
    visit = queue.claim(session, clock=clock, actor=actor, visit_id=visit_id)
    commit(session)
    return _visit(visit)


@router.post("/visits/{visit_id}/attempts", response_model=VisitRead)
def record_attempt(
    visit_id: IdPath,
    body: AttemptWrite,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.VISIT_RECORD)],
) -> VisitRead:
    """One call; the third without reaching the customer ends the visit as unreachable."""
    visit = visits.record_attempt(
        session, clock=clock, actor=actor, visit_id=visit_id, outcome=body.outcome, note=body.note
    )
    commit(session)
    return _visit(visit)


@router.post("/visits/{visit_id}/survey", response_model=SurveyRead)
def submit_survey(
    visit_id: IdPath,
    body: SurveyWrite,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.VISIT_RECORD)],
) -> SurveyRead:
    """The answers taken on the phone: the required question and any of the ticket's others (a missing or
    null one is skipped); a low score or an angry comment opens a follow-up ticket and tells the owner."""
    visit = visits.get_visit(session, visit_id, actor=actor)
    result = flows.submit_survey(
        session, clock=clock, actor=actor, visit=visit, scores=body.scores, comment=body.comment, source="phone"
    )
    commit(session)
    response = result.response
    ticket = tickets_service.get_ticket(session, response.ticket_id)
    asked = rules.dimensions_for(str(ticket.kind), str(ticket.channel))
    return SurveyRead(
        id=response.id,
        visit_id=response.visit_id,
        ticket_id=response.ticket_id,
        scores=response.scores,
        skipped=[name for name in asked if name not in response.scores],
        comment=response.comment,
        follow_up_ticket_id=result.follow_up_ticket_id,
    )


@router.get("/visits/participation")
def participation(
    session: SessionDep, actor: Annotated[Actor, allowed(Permission.VISIT_READ)], start: datetime, end: datetime
) -> dict[str, object]:
    """Visits finished in [start, end), the share the customer answered (partly answered surveys count) and
    each question's answers and average over the surveys that answered it."""
    return surveys.participation(session, start=ensure_utc(start), end=ensure_utc(end))


@router.post("/tickets/{ticket_id}/promises", response_model=PromiseRead, status_code=201)
def add_promise(
    ticket_id: IdPath,
    body: PromiseWrite,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.PROMISE_MAKE)],
) -> PromiseRead:
    """Record a promise made to the customer (owner, due time, departments that must act)."""
    promise = promises.add_promise(
        session,
        clock=clock,
        actor=actor,
        ticket_id=ticket_id,
        description=body.description,
        due_at=ensure_utc(body.due_at),
        owner_username=body.owner_username,
        departments=body.departments,
    )
    commit(session)
    return promise_read(promise)


@router.get("/tickets/{ticket_id}/promises", response_model=list[PromiseRead])
def list_promises(
    ticket_id: IdPath, session: SessionDep, actor: Annotated[Actor, allowed(Permission.TICKET_READ)]
) -> list[PromiseRead]:
    """The ticket's promises."""
    tickets_service.get_ticket(session, ticket_id, actor=actor)
    return [promise_read(promise) for promise in promises.promises_of(session, ticket_id)]


@router.post("/promises/{promise_id}/acknowledge", response_model=PromiseRead)
def acknowledge(
    promise_id: IdPath, session: SessionDep, clock: ClockDep, actor: Annotated[Actor, allowed(Permission.PROMISE_KEEP)]
) -> PromiseRead:
    """The technician or delivery person confirms they have seen the promise."""
    promise = promises.acknowledge(session, clock=clock, actor=actor, promise_id=promise_id)
    commit(session)
    return promise_read(promise)


@router.post("/promises/{promise_id}/fulfil", response_model=PromiseRead)
def fulfil(
    promise_id: IdPath,
    body: FulfilWrite,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.PROMISE_KEEP)],
) -> PromiseRead:
    """The promise is kept (a timeline event)."""
    promise = promises.fulfil(session, clock=clock, actor=actor, promise_id=promise_id, note=body.note)
    commit(session)
    return promise_read(promise)
