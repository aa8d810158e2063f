"""Compensation routes: rule proposals for a ticket, the ledger, approval within role limits."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from aftersales.accounts.deps import CurrentActor
from aftersales.feedback import compensation
from aftersales.feedback.quality_api.common import LocalTime, NoteWrite, ReadModel
from aftersales.web.deps import ClockDep, SessionDep, commit

router = APIRouter(prefix="/api/v1", tags=["compensation"])


class ProposalRead(BaseModel):
    rule: str
    kind: str
    amount_cents: int
    reason: str
    existing_id: int | None
    existing_status: str | None


class CompensationWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_id: StrictInt
    kind: str = Field(max_length=32)
    amount_cents: StrictInt
    reason: str = Field(max_length=500)
    rule: str | None = Field(default=None, max_length=32)


class CompensationRead(ReadModel):
    id: int
    ticket_id: int
    customer_id: int
    kind: str
    amount_cents: int
    reason: str
    rule: str | None
    status: str
    proposed_by: str
    created_at: LocalTime
    decided_by: str | None
    decided_at: LocalTime | None
    decision_note: str | None
    granted_by: str | None
    granted_at: LocalTime | None


class CompensationPage(BaseModel):
    items: list[CompensationRead]
    total: int
    limit: int
    offset: int


@router.get("/tickets/{ticket_id}/compensation/proposals", response_model=list[ProposalRead])
def get_proposals(ticket_id: int, session: SessionDep, actor: CurrentActor) -> list[ProposalRead]:
    """What the compensation rules suggest for the ticket."""
    return [
        ProposalRead(**vars(proposal))
        for proposal in compensation.proposals_for(session, actor=actor, ticket_id=ticket_id)
    ]


@router.post("/compensations", response_model=CompensationRead, status_code=201)
def post_compensation(
    body: CompensationWrite, session: SessionDep, clock: ClockDep, actor: CurrentActor
) -> CompensationRead:
    """Record a proposed compensation in the ledger."""
    entry = compensation.propose_compensation(
        session,
        clock=clock,
        actor=actor,
        ticket_id=body.ticket_id,
        kind=body.kind,
        amount_cents=body.amount_cents,
        reason=body.reason,
        rule=body.rule,
    )
    commit(session)
    return CompensationRead.model_validate(entry)


@router.post("/compensations/{compensation_id}/{decision}", response_model=CompensationRead)
def decide_compensation(
    compensation_id: int,
    decision: Literal["approve", "reject", "grant"],
    session: SessionDep,
    clock: ClockDep,
    actor: CurrentActor,
    body: NoteWrite | None = None,
) -> CompensationRead:
    """Approve or reject within your role's limit (403 ``compensation.over_limit`` above it), or grant."""
    if decision == "grant":
        entry = compensation.grant(session, clock=clock, actor=actor, compensation_id=compensation_id)
    else:
        entry = compensation.decide(
            session,
            clock=clock,
            actor=actor,
            compensation_id=compensation_id,
            approve=decision == "approve",
            note=body.note if body else None,
        )
    commit(session)
    return CompensationRead.model_validate(entry)


@router.get("/compensations", response_model=CompensationPage)
def get_compensations(
    session: SessionDep,
    actor: CurrentActor,
    status: str | None = None,
    ticket_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> CompensationPage:
    """The compensation ledger, newest first."""
    page = compensation.list_compensations(
        session, actor=actor, status=status, ticket_id=ticket_id, limit=limit, offset=offset
    )
    return CompensationPage(
        items=[CompensationRead.model_validate(entry) for entry in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )
