"""JSON API for planning: appointments, day plans, emergency insertion."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter
from sqlalchemy.orm import Session

from aftersales.accounts.deps import allowed
from aftersales.accounts.enums import Permission
from aftersales.accounts.schemas import Actor
from aftersales.core.timeutil import ensure_utc, to_local
from aftersales.dispatch.planning import appointments, emergencies
from aftersales.dispatch.planning import service as dayplans
from aftersales.dispatch.planning.models import DayPlan
from aftersales.dispatch.planning.schemas import (
    AppointmentRead,
    AppointmentWrite,
    EmergencyRead,
    PlanRead,
    PlanWrite,
    RouteRead,
    StopRead,
)
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.params import IdPath

router = APIRouter(prefix="/api/v1", tags=["dispatch"])


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
    ticket_id: IdPath,
    body: AppointmentWrite,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.APPOINTMENT_BOOK)],
) -> AppointmentRead:
    """Book or reschedule the visit window (history kept; the customer is notified)."""
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
def list_appointments(
    ticket_id: IdPath, session: SessionDep, actor: Annotated[Actor, allowed(Permission.TICKET_READ)]
) -> list[AppointmentRead]:
    """The ticket's bookings, oldest first (rescheduled ones included)."""
    return [_appointment(record) for record in appointments.history(session, actor=actor, ticket_id=ticket_id)]


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
def build_plan(
    body: PlanWrite, session: SessionDep, clock: ClockDep, actor: Annotated[Actor, allowed(Permission.DISPATCH_PLAN)]
) -> PlanRead:
    """Optimise an area's day (VROOM): assign and sequence its open installation and repair jobs."""
    plan = dayplans.build_plan(session, clock=clock, actor=actor, area=body.area, day=body.day, seconds=body.seconds)
    read = _plan(session, plan)
    commit(session)
    return read


@router.get("/dispatch/plans", response_model=PlanRead)
def get_plan(
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.DISPATCH_READ)],
    area: str,
    day: date | None = None,
) -> PlanRead:
    """The active plan of an area and day (today by default)."""
    return _plan(session, dayplans.get_plan(session, area=area, day=day or to_local(clock.now()).date()))


@router.post("/tickets/{ticket_id}/dispatch/emergency", response_model=EmergencyRead)
def insert_emergency(
    ticket_id: IdPath,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.DISPATCH_ASSIGN)],
) -> EmergencyRead:
    """Re-plan today so the urgent job is reached before its on-site deadline, else escalate with the reason."""
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
