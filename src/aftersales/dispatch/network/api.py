"""JSON API for the service network and dispatching a ticket."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.deps import CurrentActor, require
from aftersales.accounts.enums import Permission
from aftersales.core.timeutil import ensure_utc, to_local
from aftersales.dispatch import appointments, dayplans, emergencies, service
from aftersales.dispatch.models import DayPlan
from aftersales.web.deps import ClockDep, SessionDep, commit

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
    break_start: str | None = None
    break_end: str | None = None
    certificates: list[str] = Field(default_factory=list, max_length=20)
    van_code: str | None = Field(default=None, max_length=32)


class ServicePointWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str
    longitude: float
    latitude: float
    adcodes: list[str] = Field(default_factory=list)
    radius_km: float | None = Field(default=None, gt=0, le=200)
    capacity_per_day: int = Field(default=50, ge=1)
    city_type: str = "urban"
    opens: str = "08:00"
    closes: str = "20:00"


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
        lunch_break=(body.break_start or "", body.break_end or "") if body.break_start or body.break_end else None,
        certificates=body.certificates,
        van_code=body.van_code,
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


class PlanWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    area: str = Field(min_length=1, max_length=64, description="city, e.g. 深圳市")
    day: date | None = None
    seconds: float = Field(default=5.0, ge=0.5, le=60)


class StopRead(BaseModel):
    sequence: int
    ticket_id: int
    number: str
    priority: str
    address: str | None
    eta: datetime
    etd: datetime
    travel_km: float


class RouteRead(BaseModel):
    technician: str
    display_name: str
    total_km: float
    stops: list[StopRead]


class PlanRead(BaseModel):
    id: int
    area: str
    day: str
    status: str
    created_at: datetime
    created_by: str
    summary: dict[str, Any]
    routes: list[RouteRead]


class EmergencyRead(BaseModel):
    assigned_to: str | None
    reason: str
    method: str
    eta: datetime | None
    plan_id: int | None
    elapsed_ms: float


def _plan(session: Session, plan: DayPlan) -> PlanRead:
    return PlanRead(
        id=plan.id,
        area=plan.area,
        day=plan.day,
        status=plan.status,
        created_at=to_local(plan.created_at),
        created_by=plan.created_by,
        summary=plan.summary,
        routes=[
            RouteRead(
                technician=route.username,
                display_name=route.display_name,
                total_km=route.total_km,
                stops=[
                    StopRead(
                        sequence=stop.sequence,
                        ticket_id=ticket.id,
                        number=ticket.number,
                        priority=str(ticket.priority),
                        address=ticket.address.raw if ticket.address else None,
                        eta=to_local(stop.arrival_at),
                        etd=to_local(stop.departure_at),
                        travel_km=stop.travel_km,
                    )
                    for stop, ticket in route.stops
                ],
            )
            for route in dayplans.plan_routes(session, plan)
        ],
    )


@router.post("/dispatch/plans", response_model=PlanRead, status_code=201)
def build_plan(body: PlanWrite, session: SessionDep, clock: ClockDep, actor: CurrentActor) -> PlanRead:
    """Optimise an area's day (VROOM): assign and sequence its open installation and repair jobs."""
    require(actor, Permission.TICKET_UPDATE)
    plan = dayplans.build_plan(session, clock=clock, actor=actor, area=body.area, day=body.day, seconds=body.seconds)
    read = _plan(session, plan)
    commit(session)
    return read


@router.get("/dispatch/plans", response_model=PlanRead)
def get_plan(session: SessionDep, clock: ClockDep, actor: CurrentActor, area: str, day: date | None = None) -> PlanRead:
    """The active plan of an area and day (today by default)."""
    require(actor, Permission.TICKET_READ_ALL)
    return _plan(session, dayplans.get_plan(session, area=area, day=day or to_local(clock.now()).date()))


@router.post("/tickets/{ticket_id}/dispatch/emergency", response_model=EmergencyRead)
def insert_emergency(ticket_id: int, session: SessionDep, clock: ClockDep, actor: CurrentActor) -> EmergencyRead:
    """Re-plan today so the urgent job is reached before its on-site deadline, else escalate with the reason."""
    require(actor, Permission.TICKET_UPDATE)
    result = emergencies.insert_emergency(session, clock=clock, actor=actor, ticket_id=ticket_id)
    commit(session)
    return EmergencyRead(
        assigned_to=result.assigned_to,
        reason=result.reason,
        method=result.method,
        eta=to_local(result.eta) if result.eta else None,
        plan_id=result.plan_id,
        elapsed_ms=result.elapsed_ms,
    )
