"""The service network as its administrators see and change it: service points with their organisation,
districts and technicians; which field users work from which point; audited saves of a point and of a
technician's profile (both through ``service``, the same rules the JSON API applies).

A technician works from a service point by belonging to its organisation (``User.organisation_id``): that
is what eligibility and day plans read. Flushes, never commits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.enums import OrganisationKind, Role
from aftersales.accounts.models import Organisation, User
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.i18n import N_
from aftersales.dispatch.errors import InvalidDispatchInputError
from aftersales.dispatch.network import service
from aftersales.dispatch.network.models import ServicePoint, Technician
from aftersales.dispatch.network.schemas import ServicePointWrite, TechnicianWrite

FIELD_ROLES = (Role.TECHNICIAN, Role.PROVIDER)
# The organisations a new service point may belong to, and the levels they may sit under.
POINT_ORGANISATION_KINDS = (OrganisationKind.SERVICE_CENTER, OrganisationKind.PROVIDER)
PARENT_KINDS = (OrganisationKind.HQ, OrganisationKind.REGION, OrganisationKind.SERVICE_CENTER)


@dataclass(frozen=True)
class PointRow:
    """A service point as the list shows it: the organisation, the point, and who works from it."""

    organisation: Organisation
    point: ServicePoint
    technicians: int  # active field users of the organisation
    skills: tuple[str, ...]  # what the active ones can do, together


def list_points(session: Session) -> list[PointRow]:
    """Every service point with its organisation, active technician count and skills, by organisation code."""
    rows = session.execute(
        select(Organisation, ServicePoint)
        .join(ServicePoint, ServicePoint.organisation_id == Organisation.id)
        .order_by(Organisation.code)
    ).all()
    people = session.execute(
        select(User.organisation_id, Technician.skills)
        .outerjoin(Technician, Technician.user_id == User.id)
        .where(User.role.in_(FIELD_ROLES), User.is_active.is_(True), User.organisation_id.is_not(None))
    ).all()
    counts: dict[int, int] = {}
    skills: dict[int, set[str]] = {}
    for organisation_id, profile_skills in people:
        if organisation_id is None:
            continue
        counts[organisation_id] = counts.get(organisation_id, 0) + 1
        skills.setdefault(organisation_id, set()).update(profile_skills or [])
    return [
        PointRow(organisation, point, counts.get(organisation.id, 0), tuple(sorted(skills.get(organisation.id, ()))))
        for organisation, point in rows
    ]


def organisations_without_point(session: Session) -> list[Organisation]:
    """Service centres and providers that have no service point yet (one can be set up for them)."""
    return list(
        session.scalars(
            select(Organisation)
            .outerjoin(ServicePoint, ServicePoint.organisation_id == Organisation.id)
            .where(ServicePoint.organisation_id.is_(None), Organisation.kind.in_(POINT_ORGANISATION_KINDS))
            .order_by(Organisation.code)
        ).all()
    )


def parent_organisations(session: Session) -> list[Organisation]:
    """The organisations a new service point may sit under (HQ, regions, service centres)."""
    return list(
        session.scalars(
            select(Organisation)
            .where(Organisation.kind.in_(PARENT_KINDS))
            .order_by(Organisation.kind, Organisation.code)
        ).all()
    )


def point_of(session: Session, organisation_code: str) -> tuple[Organisation, ServicePoint | None]:
    """An organisation and its service point (None when it has none yet)."""
    organisation = accounts_service.get_organisation_by_code(session, organisation_code)
    return organisation, session.get(ServicePoint, organisation.id)


def field_users(session: Session, *, organisation_id: int | None = None) -> list[tuple[User, Technician | None]]:
    """Technicians and providers' users with their profiles (of one organisation, when given), by username."""
    query = (
        select(User, Technician)
        .outerjoin(Technician, Technician.user_id == User.id)
        .where(User.role.in_(FIELD_ROLES))
        .order_by(User.username)
    )
    if organisation_id is not None:
        query = query.where(User.organisation_id == organisation_id)
    return [(user, profile) for user, profile in session.execute(query).all()]


def field_user(session: Session, username: str) -> tuple[User, Technician | None]:
    """A technician or provider's user and their profile (None before one is made)."""
    user = accounts_service.get_user(session, username)
    if user.role not in FIELD_ROLES:
        raise InvalidDispatchInputError(
            N_("只有技术员和服务商账号有技术员档案"), fields={"username": N_("不是技术员或服务商账号")}
        )
    return user, session.get(Technician, user.id)


def point_values(point: ServicePoint | None) -> dict[str, Any] | None:
    """A service point as the audit trail records it (the shape of the API's body)."""
    if point is None:
        return None
    return ServicePointWrite(
        kind=point.kind,
        longitude=point.longitude,
        latitude=point.latitude,
        adcodes=list(point.adcodes or []),
        radius_km=point.radius_km,
        capacity_per_day=point.capacity_per_day,
        city_type=point.city_type,
        opens=point.opens,
        closes=point.closes,
    ).model_dump(mode="json")


def save_service_point(
    session: Session, *, clock: Clock, actor: Actor, organisation_code: str, values: ServicePointWrite
) -> ServicePoint:
    """Create or replace an organisation's service point; the audit trail keeps what it replaced."""
    organisation, existing = point_of(session, organisation_code)
    before = point_values(existing)
    point = service.set_service_point(session, organisation_id=organisation.id, **values.model_dump())
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="service_point.set",
        entity_type="organisation",
        entity_id=organisation.id,
        before=before,
        after=values.model_dump(mode="json"),
    )
    return point


def open_service_point(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    code: str,
    name: str,
    kind: OrganisationKind,
    parent_code: str,
    city: str,
    values: ServicePointWrite,
) -> ServicePoint:
    """A new organisation (service centre or provider) with its service point, in one unit of work."""
    if kind not in POINT_ORGANISATION_KINDS:
        raise InvalidDispatchInputError(N_("网点须属于服务中心或授权服务商"), fields={"organisation_kind": kind.value})
    accounts_service.create_organisation(
        session, clock=clock, actor=actor, code=code, name=name, kind=kind, parent_code=parent_code, city=city
    )
    return save_service_point(session, clock=clock, actor=actor, organisation_code=code, values=values)


def assign_to_point(session: Session, *, clock: Clock, actor: Actor, username: str, organisation_code: str) -> User:
    """Have a technician (or a provider's user) work from a service point: they join its organisation."""
    user, _ = field_user(session, username)
    organisation, point = point_of(session, organisation_code)
    if point is None:
        raise InvalidDispatchInputError(
            N_("机构 %(code)s 还没有网点"), {"code": organisation_code}, fields={"point": organisation_code}
        )
    before = user.organisation.code if user.organisation is not None else None
    if user.organisation_id != organisation.id:
        user.organisation_id = organisation.id
        session.flush()
        session.expire(user, ["organisation"])
        accounts_service.record_audit(
            session,
            clock=clock,
            actor=actor,
            action="technician.assigned",
            entity_type="user",
            entity_id=user.id,
            before={"organisation": before},
            after={"organisation": organisation.code},
        )
    return user


def profile_values(profile: Technician | None) -> dict[str, Any] | None:
    """A technician's profile as the audit trail records it (the shape of the API's body)."""
    if profile is None:
        return None
    return {
        "longitude": profile.home_longitude,
        "latitude": profile.home_latitude,
        "skills": list(profile.skills or []),
        "shift_start": profile.shift_start,
        "shift_end": profile.shift_end,
        "days_off": list(profile.days_off or []),
        "max_jobs_per_day": profile.max_jobs_per_day,
        "break_start": profile.break_start,
        "break_end": profile.break_end,
        "certificates": list(profile.certificates or []),
        "van_code": profile.van_code,
    }


def save_technician(
    session: Session, *, clock: Clock, actor: Actor, username: str, body: TechnicianWrite
) -> Technician:
    """Create or replace a technician's profile (home base, skills, shift, break, days off, capacity)."""
    user = accounts_service.get_user(session, username)
    before = profile_values(session.get(Technician, user.id))
    has_break = bool(body.break_start or body.break_end)
    profile = service.set_technician(
        session,
        user_id=user.id,
        longitude=body.longitude,
        latitude=body.latitude,
        skills=body.skills,
        shift=(body.shift_start, body.shift_end),
        days_off=body.days_off,
        max_jobs_per_day=body.max_jobs_per_day,
        lunch_break=(body.break_start or "", body.break_end or "") if has_break else None,
        certificates=body.certificates,
        van_code=body.van_code,
    )
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="technician.profile_set",
        entity_type="user",
        entity_id=user.id,
        before=before,
        after=body.model_dump(mode="json"),
    )
    return profile
