"""JSON API for the service network and dispatching a ticket."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from aftersales.accounts import service as accounts_service
from aftersales.accounts.enums import Permission
from aftersales.core.timeutil import ensure_utc, to_local
from aftersales.dispatch import appointments, service
from aftersales.web.deps import ClockDep, CurrentActor, SessionDep, commit, require

router = APIRouter(prefix="/api/v1", tags=["dispatch"])


class TechnicianWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    longitude: float
    latitude: float
    skills: list[str] = Field(min_length=1)
    shift_start: str = "08:00"
    shift_end: str = "18:00"
    days_off: list[date] = Field(default_factory=list)
    max_jobs_per_day: int = 8


class ServicePointWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str
    longitude: float
    latitude: float
    adcodes: list[str] = Field(default_factory=list)
    radius_km: float | None = Field(default=None, gt=0, le=200)
    capacity_per_day: int = Field(default=50, ge=1)
    city_type: str = "urban"


class CandidateRead(BaseModel):
    username: str
    eligible: bool
    reason: str
    eta_minutes: float
    km: float
    is_provider: bool


class DispatchRead(BaseModel):
    assigned_to: str | None
    reason: str
    candidates: list[CandidateRead]


@router.put("/dispatch/technicians/{username}", status_code=204)
def put_technician(username: str, body: TechnicianWrite, session: SessionDep, actor: CurrentActor) -> None:
    """Create or replace a technician's profile (home base, skills, shift, days off, daily capacity)."""
    require(actor, Permission.USERS_MANAGE)
    user = accounts_service.get_user(session, username)
    service.set_technician(
        session,
        user_id=user.id,
        longitude=body.longitude,
        latitude=body.latitude,
        skills=body.skills,
        shift=(body.shift_start, body.shift_end),
        days_off=body.days_off,
        max_jobs_per_day=body.max_jobs_per_day,
    )
    commit(session)


@router.put("/dispatch/service-points/{organisation_code}", status_code=204)
def put_service_point(
    organisation_code: str, body: ServicePointWrite, session: SessionDep, actor: CurrentActor
) -> None:
    """Create or replace an organisation's service point and area."""
    require(actor, Permission.USERS_MANAGE)
    organisation = accounts_service.get_organisation_by_code(session, organisation_code)
    service.set_service_point(session, organisation_id=organisation.id, **body.model_dump())
    commit(session)


@router.get("/tickets/{ticket_id}/dispatch/candidates", response_model=list[CandidateRead])
def get_candidates(ticket_id: int, session: SessionDep, clock: ClockDep, actor: CurrentActor) -> list[CandidateRead]:
    """Every technician judged for the ticket, best first, with the reason."""
    require(actor, Permission.TICKET_UPDATE)
    return [
        CandidateRead(**c.__dict__) for c in service.candidates(session, clock=clock, actor=actor, ticket_id=ticket_id)
    ]


@router.post("/tickets/{ticket_id}/dispatch", response_model=DispatchRead)
def dispatch_ticket(ticket_id: int, session: SessionDep, clock: ClockDep, actor: CurrentActor) -> DispatchRead:
    """Assign the best eligible technician, or leave the ticket in the queue; the reason is recorded."""
    require(actor, Permission.TICKET_UPDATE)
    result = service.auto_dispatch(session, clock=clock, actor=actor, ticket_id=ticket_id)
    commit(session)
    return DispatchRead(
        assigned_to=result.assigned_to,
        reason=result.reason,
        candidates=[CandidateRead(**c.__dict__) for c in result.candidates],
    )


class AppointmentWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: datetime
    end: datetime
    note: str | None = Field(default=None, max_length=500)


class AppointmentRead(BaseModel):
    id: int
    start: datetime
    end: datetime
    status: str
    booked_by: str


def _appointment(record: Any) -> AppointmentRead:
    return AppointmentRead(
        id=record.id,
        start=to_local(record.window_start),
        end=to_local(record.window_end),
        status=record.status,
        booked_by=record.booked_by,
    )


@router.post("/tickets/{ticket_id}/appointments", response_model=AppointmentRead, status_code=201)
def book_appointment(
    ticket_id: int, body: AppointmentWrite, session: SessionDep, clock: ClockDep, actor: CurrentActor
) -> AppointmentRead:
    """Book or reschedule the visit window (history kept; the customer is notified)."""
    require(actor, Permission.TICKET_TRANSITION)
    record = appointments.book(
        session,
        clock=clock,
        actor=actor,
        ticket_id=ticket_id,
        start=ensure_utc(body.start),
        end=ensure_utc(body.end),
        note=body.note,
    )
    commit(session)
    return _appointment(record)


@router.get("/tickets/{ticket_id}/appointments", response_model=list[AppointmentRead])
def list_appointments(ticket_id: int, session: SessionDep, actor: CurrentActor) -> list[AppointmentRead]:
    """The ticket's bookings, oldest first (rescheduled ones included)."""
    return [_appointment(record) for record in appointments.history(session, actor=actor, ticket_id=ticket_id)]
