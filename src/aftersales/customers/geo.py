"""Address parsing with cpca: province/city/district, adcode and district coordinates."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class ParsedAddress:
    """What cpca recognised in a free-text Chinese address."""

    province: str | None
    city: str | None
    district: str | None
    adcode: str | None
    detail: str
    longitude: float | None
    latitude: float | None


@lru_cache(maxsize=1)
def _cpca() -> Any:
    # cpca imports pkg_resources, which warns that it is deprecated; the warning is not ours to fix.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import cpca

    return cpca


def _clean(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


@lru_cache(maxsize=4096)
def parse_address(raw: str) -> ParsedAddress:
    """Parse a Chinese address; fields that cpca cannot find are None."""
    cpca = _cpca()
    one = getattr(cpca, "_get_one_addr", None)
    if one is not None:
        # cpca 0.5.5's per-address matcher: the public transform() builds a pandas DataFrame per
        # call, which costs ~4 ms; the matcher itself takes a few microseconds.
        row = one(raw, False, {})
    else:  # pragma: no cover - another cpca version
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row = cpca.transform([raw]).iloc[0]
    province = _clean(row["省"])
    city = _clean(row["市"])
    district = _clean(row["区"])
    adcode = _clean(row["adcode"])
    if city == "市辖区":  # municipalities: the city is the province
        city = province
    longitude = latitude = None
    if adcode:
        info = cpca.ad_2_addr_dict.get(adcode.ljust(12, "0"))
        if info is not None:
            longitude, latitude = float(info.longitude), float(info.latitude)
    return ParsedAddress(
        province=province,
        city=city,
        district=district,
        adcode=adcode,
        detail=_clean(row["地址"]) or "",
        longitude=longitude,
        latitude=latitude,
    )


@dataclass(frozen=True)
class District:
    """A district (区/县) as cpca knows it: its adcode, name and centre."""

    adcode: str
    name: str
    longitude: float
    latitude: float


@lru_cache(maxsize=512)
def districts_of(city: str) -> tuple[District, ...]:
    """The districts under a city ('深圳' or '深圳市'; a municipality such as '北京市' too), by adcode;
    empty when cpca does not know the city."""
    adcode = parse_address(city.strip()).adcode if city.strip() else None
    if not adcode:
        return ()
    # A municipality's districts hang off the province code, a prefecture city's off its own.
    prefix = adcode[:2] if adcode.endswith("0000") else adcode[:4]
    found = []
    for code, info in _cpca().ad_2_addr_dict.items():
        if code.startswith(prefix) and int(info.rank) == 2 and info.name not in ("市辖区", "县"):
            found.append(District(str(info.adcode), str(info.name), float(info.longitude), float(info.latitude)))
    return tuple(sorted(found, key=lambda district: district.adcode))


@lru_cache(maxsize=4096)
def district_name(adcode: str) -> str | None:
    """The name of the district (or city) with this six-digit adcode, or None when cpca does not know it."""
    info = _cpca().ad_2_addr_dict.get(adcode.strip().ljust(12, "0")) if adcode.strip().isdigit() else None
    return str(info.name) if info is not None else None
