"""What a day plan is built from, read from the database: the area's crews (shifts, lunch, where they
start), its jobs as stops (time windows from bookings and on-site targets, who may take each, which are
already bound to their technician), and the times as seconds from the day's local midnight."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from aftersales.accounts.enums import Role
from aftersales.accounts.models import Organisation, User
from aftersales.core.timeutil import SHANGHAI, to_local
from aftersales.customers.models import Address
from aftersales.dispatch.enums import FieldEventType
from aftersales.dispatch.network import rules
from aftersales.dispatch.network.models import ServicePoint, Technician
from aftersales.dispatch.planning import rules as planning
from aftersales.dispatch.planning.models import Appointment
from aftersales.sla.enums import TargetKind
from aftersales.sla.models import Target
from aftersales.tickets.enums import EventType, Priority, TicketStatus
from aftersales.tickets.models import Ticket, TicketEvent

PRIORITY_WEIGHT = {Priority.URGENT: planning.URGENT_PRIORITY, Priority.COMPLEX: 20, Priority.ROUTINE: 10}
# Events that bind a job to its assignee (the plan no longer moves it) and the one that frees it again.
BINDING = (FieldEventType.ACCEPT, FieldEventType.ON_THE_WAY)
ON_SITE = (EventType.CHECK_IN,)
RELEASING = (EventType.ASSIGN, FieldEventType.DECLINE, FieldEventType.CHECK_OUT)
MANUAL, BOUND, ON_SITE_MARK = "manual", "bound", "on_site"  # why a job is fixed to its assignee


def origin_of(day: date) -> datetime:
    """The day's local midnight: plan times are seconds from it."""
    return datetime.combine(day, time(0, 0), tzinfo=SHANGHAI)


def offset(origin: datetime, moment: datetime) -> int:
    """``moment`` as whole seconds from ``origin``."""
    return int((moment - origin).total_seconds())


def _minutes(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def crews_of(
    session: Session, *, area: str, day: date, now: datetime
) -> tuple[list[planning.Crew], dict[int, tuple[Any, ...]]]:
    """Crews of the area's organisations (not on a day off), and what eligibility needs of each."""
    rows = session.execute(
        select(Technician, User, ServicePoint)
        .join(User, User.id == Technician.user_id)
        .join(Organisation, Organisation.id == User.organisation_id)
        .outerjoin(ServicePoint, ServicePoint.organisation_id == User.organisation_id)
        .where(
            User.is_active.is_(True),
            User.role.in_([Role.TECHNICIAN, Role.PROVIDER]),
            Organisation.city.in_(rules.city_spellings(area)),
        )
        .order_by(User.id)
    ).all()
    crews, profiles = [], {}
    today = to_local(now).date() == day
    for profile, user, point in rows:
        if day.isoformat() in profile.days_off:
            continue
        home = (profile.home_longitude, profile.home_latitude)
        seen_today = profile.last_seen_at is not None and to_local(profile.last_seen_at).date() == day
        start = (
            (profile.last_longitude, profile.last_latitude)
            if today and seen_today and profile.last_longitude is not None and profile.last_latitude is not None
            else home
        )
        lunch = (
            (_minutes(profile.break_start), _minutes(profile.break_end))
            if profile.break_start and profile.break_end
            else None
        )
        crews.append(
            planning.Crew(
                user_id=user.id,
                username=user.username,
                start=start,
                home=home,
                shift=(_minutes(profile.shift_start), _minutes(profile.shift_end)),
                break_window=lunch,
                max_jobs=profile.max_jobs_per_day,
            )
        )
        profiles[user.id] = (profile, user, point)
    return crews, profiles


@dataclass(frozen=True)
class JobFacts:
    """What planning needs of a ticket: its row, its address's point and its open on-site target."""

    id: int
    number: str
    kind: str
    priority: Priority
    status: TicketStatus
    product_model: str | None
    assignee_id: int | None
    longitude: float | None
    latitude: float | None
    adcode: str | None
    onsite_due_at: datetime | None  # the on-site target not yet met, if any


def facts_of(ticket: Ticket) -> JobFacts:
    """The facts of a loaded ticket."""
    address = ticket.address
    onsite = next((t for t in ticket.sla_targets if t.kind == TargetKind.ONSITE and t.met_at is None), None)
    return JobFacts(
        id=ticket.id,
        number=ticket.number,
        kind=str(ticket.kind),
        priority=Priority(ticket.priority),
        status=TicketStatus(ticket.status),
        product_model=ticket.product_model,
        assignee_id=ticket.assignee_id,
        longitude=address.longitude if address else None,
        latitude=address.latitude if address else None,
        adcode=address.adcode if address else None,
        onsite_due_at=onsite.due_at if onsite else None,
    )


def facts_for(session: Session, ticket_ids: list[int]) -> dict[int, JobFacts]:
    """The facts of many tickets in one query (a plan's stops: no ticket entities, no eager loads)."""
    if not ticket_ids:
        return {}
    onsite = aliased(Target)
    rows = session.execute(
        select(
            Ticket.id,
            Ticket.number,
            Ticket.kind,
            Ticket.priority,
            Ticket.status,
            Ticket.product_model,
            Ticket.assignee_id,
            Address.longitude,
            Address.latitude,
            Address.adcode,
            onsite.due_at,
        )
        .outerjoin(Address, Address.id == Ticket.address_id)
        .outerjoin(
            onsite,
            and_(onsite.ticket_id == Ticket.id, onsite.kind == TargetKind.ONSITE, onsite.met_at.is_(None)),
        )
        .where(Ticket.id.in_(ticket_ids))
    ).all()
    return {
        row[0]: JobFacts(row[0], row[1], str(row[2]), Priority(row[3]), TicketStatus(row[4]), *row[5:]) for row in rows
    }


def technician_views(profiles: dict[int, tuple[Any, ...]]) -> list[rules.TechnicianView]:
    """The crews as eligibility sees them (skills, service area), built once for all the stops of a plan."""
    views = []
    for user_id, (profile, user, point) in profiles.items():
        views.append(
            rules.TechnicianView(
                user_id=user_id,
                username=user.username,
                skills=frozenset(profile.skills),
                position=(profile.home_longitude, profile.home_latitude),
                shift_start=time(0, 0),
                shift_end=time(23, 59),
                days_off=frozenset(),
                max_jobs=profile.max_jobs_per_day,
                jobs_today=0,
                area_adcodes=frozenset(point.adcodes) if point else frozenset(),
                area_center=(point.longitude, point.latitude) if point else None,
                area_radius_km=point.radius_km if point else None,
            )
        )
    return views


def _candidates(views: list[rules.TechnicianView], job: JobFacts, position: tuple[float, float]) -> frozenset[int]:
    needed = rules.required_skill(job.kind, job.product_model)
    view = rules.JobView(job.kind, job.product_model, job.adcode, position, None)
    return frozenset(
        technician.user_id
        for technician in views
        if rules.has_skill(technician.skills, needed) and rules.in_area(technician, view)
    )


def field_marks(session: Session, ticket_ids: list[int]) -> dict[int, str]:
    """Why a ticket is fixed to its assignee: 'manual' (a person assigned it), 'bound' (accepted / on the
    way) or 'on_site'. Plans and emergency re-plans never move such a ticket to someone else."""
    marks: dict[int, str] = {}
    if not ticket_ids:
        return marks
    types = [*BINDING, *ON_SITE, *RELEASING]
    rows = session.execute(
        select(TicketEvent.ticket_id, TicketEvent.type, TicketEvent.data)
        .where(TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.type.in_(types))
        .order_by(TicketEvent.ticket_id, TicketEvent.id)
    ).all()
    for ticket_id, event_type, data in rows:
        if event_type == EventType.ASSIGN and (data or {}).get("by_hand"):
            marks[ticket_id] = MANUAL
        elif event_type in RELEASING:
            marks.pop(ticket_id, None)
        elif event_type in ON_SITE:
            marks[ticket_id] = ON_SITE_MARK
        else:
            marks[ticket_id] = BOUND
    return marks


def stop_for(
    job: JobFacts,
    *,
    origin: datetime,
    now: datetime,
    views: list[rules.TechnicianView],
    booking: Appointment | None,
    pinned: bool,
) -> planning.Stop:
    """The job as a stop: its window (the booking, else until the on-site due time) and who may take it
    (only its assignee when ``pinned``; else the crews of ``views`` it suits). Raises ValueError when the
    address has no usable point."""
    position = rules.validate_point(job.longitude, job.latitude)
    windows: tuple[tuple[int, int], ...] = ()
    if booking is not None:
        windows = ((offset(origin, booking.window_start), offset(origin, booking.window_end)),)
    elif job.onsite_due_at is not None and job.onsite_due_at > now:
        windows = ((max(0, offset(origin, now)), offset(origin, job.onsite_due_at)),)
    candidates = frozenset({job.assignee_id}) if pinned and job.assignee_id else _candidates(views, job, position)
    return planning.Stop(
        ticket_id=job.id,
        position=position,
        service=rules.SERVICE_MINUTES.get(job.kind, 45) * 60,
        windows=windows,
        priority=PRIORITY_WEIGHT.get(job.priority, 10),
        candidates=candidates,
        label=job.number,
    )


def bookings_of(session: Session, ticket_ids: list[int]) -> dict[int, Appointment]:
    """The booked appointment of each ticket that has one."""
    if not ticket_ids:
        return {}
    rows = session.scalars(
        select(Appointment).where(Appointment.ticket_id.in_(ticket_ids), Appointment.status == "booked")
    )
    return {row.ticket_id: row for row in rows}


def stops_for_day(
    session: Session,
    tickets: list[Ticket],
    *,
    day: date,
    origin: datetime,
    now: datetime,
    profiles: dict[int, tuple[Any, ...]],
) -> tuple[list[planning.Stop], dict[int, str]]:
    """Stops for the day's plannable tickets; tickets left out with the reason (no coordinates…)."""
    ids = [ticket.id for ticket in tickets]
    bookings, marks = bookings_of(session, ids), field_marks(session, ids)
    views = technician_views(profiles)
    stops, skipped = [], {}
    for ticket in tickets:
        booking = bookings.get(ticket.id)
        if booking is not None and to_local(booking.window_start).date() != day:
            continue  # booked for another day
        if marks.get(ticket.id) == ON_SITE_MARK:
            continue  # the technician is there now
        try:
            stops.append(
                stop_for(
                    facts_of(ticket), origin=origin, now=now, views=views, booking=booking, pinned=ticket.id in marks
                )
            )
        except ValueError as error:
            skipped[ticket.id] = str(error)
    return stops, skipped


def city_type(profiles: dict[int, tuple[Any, ...]]) -> str:
    """The most common city type of the crews' service points (travel speeds depend on it)."""
    kinds = [point.city_type for _, _, point in profiles.values() if point is not None]
    return max(set(kinds), key=kinds.count) if kinds else "urban"
