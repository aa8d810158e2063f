"""Request and reply shapes of the service-network API."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class TechnicianWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    longitude: float
    latitude: float
    skills: list[str] = Field(min_length=1)
    shift_start: str = "08:00"
    shift_end: str = "18:00"
    days_off: list[date] = Field(default_factory=list)
    max_jobs_per_day: int = Field(default=8, ge=1, le=50)
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
