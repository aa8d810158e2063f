"""Request and reply shapes of the planning API (appointments, day plans, emergencies)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


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
