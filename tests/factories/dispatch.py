"""The field network (service points, technician profiles) and day plans (dispatch services)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import SYSTEM_ACTOR, Actor
from aftersales.core.clock import Clock
from aftersales.dispatch.network import service as network_service
from aftersales.dispatch.network.models import ServicePoint
from aftersales.dispatch.planning import service as planning_service
from aftersales.dispatch.planning.models import DayPlan
from tests.factories.accounts import MadeUser, user
from tests.factories.common import NANSHAN, SHENZHEN_CENTER


def service_point(
    session: Session,
    *,
    organisation_id: int,
    kind: str = "service_center",
    site: tuple[float, float] = SHENZHEN_CENTER,
    adcodes: Sequence[str] = (),
    radius_km: float | None = None,
    capacity_per_day: int = 50,
    opens: str = "08:00",
    closes: str = "20:00",
) -> ServicePoint:
    """An organisation's service point (network service); it serves ``adcodes`` or, when none are given,
    a radius (40 km unless ``radius_km`` says otherwise)."""
    if not adcodes and radius_km is None:
        radius_km = 40
    return network_service.set_service_point(
        session,
        organisation_id=organisation_id,
        kind=kind,
        longitude=site[0],
        latitude=site[1],
        adcodes=list(adcodes),
        radius_km=radius_km,
        capacity_per_day=capacity_per_day,
        opens=opens,
        closes=closes,
    )


def technician(
    session: Session,
    *,
    clock: Clock,
    username: str | None = None,
    role: Role = Role.TECHNICIAN,
    organisation_code: str | None = None,
    home: tuple[float, float] = NANSHAN,
    skills: Sequence[str] = ("lock:repair",),
    shift: tuple[str, str] = ("08:00", "18:00"),
    days_off: Sequence[date] = (),
    max_jobs_per_day: int = 8,
    lunch_break: tuple[str, str] | None = None,
    with_token: bool = False,
) -> MadeUser:
    """A field user (technician, or a provider's user with ``role``) and the profile dispatch plans with."""
    made = user(
        session, clock=clock, role=role, username=username, organisation_code=organisation_code, with_token=with_token
    )
    network_service.set_technician(
        session,
        user_id=made.user.id,
        longitude=home[0],
        latitude=home[1],
        skills=list(skills),
        shift=shift,
        days_off=list(days_off),
        max_jobs_per_day=max_jobs_per_day,
        lunch_break=lunch_break,
    )
    return made


def day_plan(
    session: Session,
    *,
    clock: Clock,
    area: str = "深圳市",
    day: date | None = None,
    seconds: float = 1.0,
    actor: Actor = SYSTEM_ACTOR,
) -> DayPlan:
    """The active plan of ``area`` for ``day`` (today by default), built over its open field jobs: the
    planning service assigns and sequences them."""
    return planning_service.build_plan(session, clock=clock, actor=actor, area=area, day=day, seconds=seconds)
