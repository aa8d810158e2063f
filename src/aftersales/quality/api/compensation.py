"""Compensation routes: rule proposals for a ticket, the ledger, approval within role limits."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from aftersales.accounts.deps import allowed
from aftersales.accounts.enums import Permission
from aftersales.accounts.schemas import Actor
from aftersales.quality import compensation
from aftersales.quality.schemas import (
    CompensationPage,
    CompensationRead,
    CompensationWrite,
    NoteWrite,
    ProposalRead,
)
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.params import IdPath, IdQuery, Offset

router = APIRouter(prefix="/api/v1", tags=["compensation"])


@router.get("/tickets/{ticket_id}/compensation/proposals", response_model=list[ProposalRead])
def get_proposals(
    ticket_id: IdPath, session: SessionDep, actor: Annotated[Actor, allowed(Permission.COMPENSATION_PROPOSE)]
) -> list[ProposalRead]:
    """What the compensation rules suggest for the ticket."""
    return [
        ProposalRead(**vars(proposal))
        for proposal in compensation.proposals_for(session, actor=actor, ticket_id=ticket_id)
    ]


@router.post("/compensations", response_model=CompensationRead, status_code=201)
def post_compensation(
    body: CompensationWrite,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.COMPENSATION_PROPOSE)],
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
    compensation_id: IdPath,
    decision: Literal["approve", "reject", "grant"],
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.COMPENSATION_DECIDE)],
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
    actor: Annotated[Actor, allowed(Permission.COMPENSATION_READ)],
    status: str | None = None,
    ticket_id: IdQuery = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
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
