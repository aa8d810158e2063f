"""Pure dispatch rules: travel estimates, skills, and who may take a job (with the reason when not).

Travel time is straight-line distance × a road factor ÷ a speed per city type, behind the
``TravelModel`` protocol so a road-network matrix service (OSRM) can replace it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from aftersales.core.i18n import N_, Message

EARTH_RADIUS_KM = 6371.0088
ROAD_FACTOR = 1.35
SPEED_KMH = {"urban": 22.0, "suburban": 35.0, "rural": 45.0}
SERVICE_MINUTES = {"installation": 60, "repair": 45}  # planned time on site per job kind
PRODUCT_LINES = {
    "YL-S7": "lock",
    "YL-F3": "lock",
    "YL-P1": "lock",
    "YL-A9": "lock",
    "YL-T10": "tablet",
    "YL-W2": "watch",
    "YL-R5": "purifier",
    "YL-C2": "airer",
}


CITY_SUFFIXES = ("市", "州", "盟", "地区", "区", "县")


def canonical_city(name: str) -> str:
    """One spelling per city as the address parser writes it: '深圳' and '深圳市' are both '深圳市'."""
    name = name.strip()
    if not name or name.endswith(CITY_SUFFIXES):
        return name
    return name + "市"


def city_spellings(name: str) -> list[str]:
    """The spellings a city may be stored under (organisations may leave out the 市)."""
    canonical = canonical_city(name)
    return sorted({canonical, canonical.removesuffix("市")} - {""})


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (longitude, latitude) points."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


class TravelModel(Protocol):
    def minutes(self, origin: tuple[float, float], destination: tuple[float, float]) -> float: ...

    def km(self, origin: tuple[float, float], destination: tuple[float, float]) -> float: ...


@dataclass(frozen=True)
class StraightLineTravel:
    """Road distance ≈ straight line × road factor; time at the city type's average speed."""

    city_type: str = "urban"
    road_factor: float = ROAD_FACTOR

    def km(self, origin: tuple[float, float], destination: tuple[float, float]) -> float:
        return haversine_km(origin, destination) * self.road_factor

    def minutes(self, origin: tuple[float, float], destination: tuple[float, float]) -> float:
        return self.km(origin, destination) / SPEED_KMH[self.city_type] * 60


def validate_point(longitude: float | None, latitude: float | None) -> tuple[float, float]:
    """A (longitude, latitude) inside mainland China's bounding box, or ValueError with the reason."""
    if longitude is None or latitude is None:
        raise ValueError(Message(N_("地址没有坐标，无法估算路程")))
    if not (73.0 <= longitude <= 135.5 and 3.5 <= latitude <= 53.6):
        raise ValueError(
            Message(
                N_("坐标 (%(longitude)s, %(latitude)s) 不在中国境内"), {"longitude": longitude, "latitude": latitude}
            )
        )
    return (longitude, latitude)


def required_skill(ticket_kind: str, product_model: str | None) -> str:
    """'lock:repair', 'tablet:installation' … ('any' product line when the model is unknown)."""
    line = PRODUCT_LINES.get(product_model or "", "any")
    return f"{line}:{ticket_kind}"


def has_skill(skills: frozenset[str], needed: str) -> bool:
    """A technician with 'lock:repair' serves 'lock:repair'; 'any:repair' needs some repair skill."""
    line, kind = needed.split(":", 1)
    if line == "any":
        return any(skill.endswith(f":{kind}") for skill in skills)
    return needed in skills or f"*:{kind}" in skills


@dataclass(frozen=True)
class TechnicianView:
    """What eligibility needs to know about a technician today."""

    user_id: int
    username: str
    skills: frozenset[str]
    position: tuple[float, float]
    shift_start: time
    shift_end: time
    days_off: frozenset[date]
    max_jobs: int
    jobs_today: int
    area_adcodes: frozenset[str]
    area_center: tuple[float, float] | None
    area_radius_km: float | None
    is_provider: bool = False
    point_hours: tuple[time, time] | None = None  # the service point's opening hours
    point_load: int = 0  # open jobs of the technician's organisation
    point_capacity: int | None = None


@dataclass(frozen=True)
class JobView:
    kind: str
    product_model: str | None
    adcode: str | None
    position: tuple[float, float]
    onsite_due_at: datetime | None  # urgent jobs: must arrive before this


@dataclass(frozen=True)
class Verdict:
    eligible: bool
    reason: str
    eta_minutes: float
    km: float
    # The reason as a timeline note ({"key": ..., "params": ...}) that the console shows in its language.
    reason_note: dict[str, Any]


def in_area(tech: TechnicianView, job: JobView) -> bool:
    """Inside the unit's districts, or within its radius of the unit's base."""
    if job.adcode and job.adcode in tech.area_adcodes:
        return True
    if tech.area_center is not None and tech.area_radius_km is not None:
        return haversine_km(tech.area_center, job.position) <= tech.area_radius_km
    return False


def judge(
    tech: TechnicianView, job: JobView, *, now_local: datetime, now_utc: datetime, travel: TravelModel
) -> Verdict:
    """Whether this technician may take the job now, and the estimated arrival."""
    km = travel.km(tech.position, job.position)
    eta = travel.minutes(tech.position, job.position)
    needed = required_skill(job.kind, job.product_model)
    if not has_skill(tech.skills, needed):
        return Verdict(False, f"技能不符（需要 {needed}）", eta, km, _note("dispatch.skill_mismatch", skill=needed))
    if not in_area(tech, job):
        return Verdict(False, "不在服务区域", eta, km, _note("dispatch.outside_area"))
    if now_local.date() in tech.days_off or not (tech.shift_start <= now_local.time() < tech.shift_end):
        return Verdict(False, "不在班", eta, km, _note("dispatch.off_shift"))
    if tech.point_hours is not None and not (tech.point_hours[0] <= now_local.time() < tech.point_hours[1]):
        return Verdict(False, "网点未营业", eta, km, _note("dispatch.point_closed"))
    if tech.jobs_today >= tech.max_jobs:
        load = {"jobs": tech.jobs_today, "limit": tech.max_jobs}
        return Verdict(
            False, f"今日已满负荷（{tech.jobs_today}/{tech.max_jobs}）", eta, km, _note("dispatch.fully_booked", **load)
        )
    if tech.point_capacity is not None and tech.point_load >= tech.point_capacity:
        load = {"load": tech.point_load, "capacity": tech.point_capacity}
        return Verdict(
            False,
            f"网点接单已满（{tech.point_load}/{tech.point_capacity}）",
            eta,
            km,
            _note("dispatch.point_full", **load),
        )
    minutes = f"{eta:.0f}"
    if job.onsite_due_at is not None and now_utc + timedelta(minutes=eta) > job.onsite_due_at:
        return Verdict(
            False, f"无法在上门时限前到达（约 {minutes} 分钟）", eta, km, _note("dispatch.too_late", minutes=minutes)
        )
    return Verdict(
        True,
        f"可在约 {minutes} 分钟内到达，今日已有 {tech.jobs_today} 单",
        eta,
        km,
        _note("dispatch.reachable", minutes=minutes, jobs=tech.jobs_today),
    )


def _note(key: str, **params: object) -> dict[str, Any]:
    """A reason as a timeline note: its message key and parameters."""
    return {"key": key, "params": params}


def rank(candidates: list[tuple[TechnicianView, Verdict]]) -> list[tuple[TechnicianView, Verdict]]:
    """Eligible first; in-house before providers; then earliest arrival, then the lightest load."""
    return sorted(
        candidates,
        key=lambda item: (
            not item[1].eligible,
            item[0].is_provider,
            round(item[1].eta_minutes / 5),
            item[0].jobs_today,
            item[0].username,
        ),
    )
