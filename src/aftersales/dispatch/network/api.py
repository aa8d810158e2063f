"""JSON API for the service network and dispatching a ticket."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from aftersales.accounts.deps import allowed
from aftersales.accounts.enums import Permission
from aftersales.accounts.schemas import Actor
from aftersales.dispatch.network import directory, service
from aftersales.dispatch.network.schemas import CandidateRead, DispatchRead, ServicePointWrite, TechnicianWrite
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.params import IdPath

router = APIRouter(prefix="/api/v1", tags=["dispatch"])


@router.put("/dispatch/technicians/{username}", status_code=204)
def put_technician(
    username: str,
    body: TechnicianWrite,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.NETWORK_MANAGE)],
) -> None:
    """Create or replace a technician's profile (home base, skills, shift, days off, daily capacity)."""
    directory.save_technician(session, clock=clock, actor=actor, username=username, body=body)
    commit(session)


@router.put("/dispatch/service-points/{organisation_code}", status_code=204)
def put_service_point(
    organisation_code: str,
    body: ServicePointWrite,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.NETWORK_MANAGE)],
) -> None:
    """Create or replace an organisation's service point and area."""
    directory.save_service_point(session, clock=clock, actor=actor, organisation_code=organisation_code, values=body)
    commit(session)


@router.get("/tickets/{ticket_id}/dispatch/candidates", response_model=list[CandidateRead])
def get_candidates(
    ticket_id: IdPath,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.DISPATCH_ASSIGN)],
) -> list[CandidateRead]:
    """Every technician judged for the ticket, best first, with the reason."""
    return [
        CandidateRead(**c.__dict__) for c in service.candidates(session, clock=clock, actor=actor, ticket_id=ticket_id)
    ]


@router.post("/tickets/{ticket_id}/dispatch", response_model=DispatchRead)
def dispatch_ticket(
    ticket_id: IdPath,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.DISPATCH_ASSIGN)],
) -> DispatchRead:
    """Assign the best eligible technician, or leave the ticket in the queue; the reason is recorded."""
    result = service.auto_dispatch(session, clock=clock, actor=actor, ticket_id=ticket_id)
    commit(session)
    return DispatchRead(
        assigned_to=result.assigned_to,
        reason=result.reason,
        candidates=[CandidateRead(**c.__dict__) for c in result.candidates],
    )
