"""The demo's field network: service points with their areas and a profile for every technician and
partner-provider account (home base, skills, shift, lunch break, van). Idempotent (profiles are upserts)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.dispatch.network import service as dispatch_service

# City centres (longitude, latitude).
CENTRES = {
    "深圳": (114.057, 22.543),
    "广州": (113.264, 23.129),
    "上海": (121.473, 31.230),
    "杭州": (120.155, 30.274),
    "北京": (116.407, 39.904),
}
SERVICE_POINTS = (
    ("YL-SZ", "service_center", "深圳", 45.0),
    ("YL-GZ", "service_center", "广州", 45.0),
    ("YL-SH", "service_center", "上海", 50.0),
    ("YL-HZ", "service_center", "杭州", 40.0),
    ("YL-BJ", "hq_tech_center", "北京", 50.0),
    ("YL-P-ANJU", "regional_provider", "深圳", 35.0),
    ("YL-P-HUTONG", "quick_repair_point", "北京", 15.0),
)
ALL_LINES = ["*:repair", "*:installation"]
LOCKS_ONLY = ["lock:repair", "lock:installation", "purifier:installation", "airer:installation"]
# username -> (city, offset east km, offset north km, skills, shift, van)
TECHNICIANS = {
    "tech01": ("深圳", -8.0, 1.0, ALL_LINES, ("08:00", "18:00"), "粤B-D1001"),
    "tech02": ("深圳", 3.0, -2.0, LOCKS_ONLY, ("08:00", "18:00"), "粤B-D1002"),
    "tech03": ("深圳", 12.0, 6.0, ALL_LINES, ("10:00", "20:00"), "粤B-D1003"),
    "tech04": ("广州", -4.0, 3.0, ALL_LINES, ("08:00", "18:00"), "粤A-D2001"),
    "tech05": ("广州", 6.0, -3.0, LOCKS_ONLY, ("10:00", "20:00"), "粤A-D2002"),
    "tech06": ("上海", -6.0, 2.0, ALL_LINES, ("08:00", "18:00"), "沪C-D3001"),
    "tech07": ("上海", 5.0, 5.0, LOCKS_ONLY, ("08:00", "18:00"), "沪C-D3002"),
    "tech08": ("上海", 10.0, -6.0, ALL_LINES, ("10:00", "20:00"), "沪C-D3003"),
    "tech09": ("杭州", -3.0, 2.0, ALL_LINES, ("08:00", "18:00"), "浙A-D4001"),
    "tech10": ("杭州", 5.0, -4.0, LOCKS_ONLY, ("10:00", "20:00"), "浙A-D4002"),
    "tech11": ("北京", -5.0, 4.0, ALL_LINES, ("08:00", "18:00"), "京B-D5001"),
    "tech12": ("北京", 7.0, -3.0, LOCKS_ONLY, ("10:00", "20:00"), "京B-D5002"),
    "provider01": ("深圳", 0.0, 8.0, ALL_LINES, ("08:00", "20:00"), None),
}
KM_PER_DEGREE = 111.0


def _shift(city: str, east_km: float, north_km: float) -> tuple[float, float]:
    import math

    longitude, latitude = CENTRES[city]
    return (
        round(longitude + east_km / (KM_PER_DEGREE * math.cos(math.radians(latitude))), 5),
        round(latitude + north_km / KM_PER_DEGREE, 5),
    )


def load_network(session: Session) -> dict[str, int]:
    """Service points and technician profiles; returns how many of each were written."""
    for code, kind, city, radius in SERVICE_POINTS:
        organisation = accounts_service.get_organisation_by_code(session, code)
        longitude, latitude = CENTRES[city]
        dispatch_service.set_service_point(
            session,
            organisation_id=organisation.id,
            kind=kind,
            longitude=longitude,
            latitude=latitude,
            radius_km=radius,
            capacity_per_day=120 if kind != "quick_repair_point" else 30,
        )
    for username, (city, east, north, skills, shift, van) in TECHNICIANS.items():
        user = accounts_service.get_user(session, username)
        longitude, latitude = _shift(city, east, north)
        dispatch_service.set_technician(
            session,
            user_id=user.id,
            longitude=longitude,
            latitude=latitude,
            skills=skills,
            shift=shift,
            max_jobs_per_day=8,
            lunch_break=("12:00", "13:00") if shift[0] == "08:00" else ("13:00", "14:00"),
            certificates=["门锁安装上岗证"] if "lock:installation" in skills or "*:installation" in skills else [],
            van_code=van,
        )
    return {"service_points": len(SERVICE_POINTS), "technicians": len(TECHNICIANS)}
