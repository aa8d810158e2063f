"""Request and reply shapes of the quality API (inspection, rectification, compensation)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt

from aftersales.core.timeutil import to_local

# Stored in UTC, shown in Asia/Shanghai like every other reply.
LocalTime = Annotated[datetime, AfterValidator(to_local)]


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class NoteWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=500)


class InspectionRead(ReadModel):
    id: int
    sample_id: int
    ticket_id: int
    level: str
    stratum: str
    organisation_id: int | None
    technician_id: int | None
    status: str
    scores: dict[str, int] | None
    weighted_score: float | None
    findings: str | None
    inspector: str | None
    inspected_at: LocalTime | None


class CompensationRead(ReadModel):
    id: int
    ticket_id: int
    customer_id: int
    kind: str
    amount_cents: int
    reason: str
    rule: str | None
    status: str
    proposed_by: str
    created_at: LocalTime
    decided_by: str | None
    decided_at: LocalTime | None
    decision_note: str | None
    granted_by: str | None
    granted_at: LocalTime | None


class ProposalRead(BaseModel):
    rule: str
    kind: str
    amount_cents: int
    reason: str
    existing_id: int | None
    existing_status: str | None


class CompensationWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_id: StrictInt
    kind: str = Field(max_length=32)
    amount_cents: StrictInt
    reason: str = Field(max_length=500)
    rule: str | None = Field(default=None, max_length=32)


class CompensationPage(BaseModel):
    items: list[CompensationRead]
    total: int
    limit: int
    offset: int


class ChecklistItemRead(BaseModel):
    code: str
    label: str
    group: str | None
    applies_to: list[str]
    is_required: bool


class SelfCheckWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: dict[str, StrictBool] = Field(max_length=100)
    note: str | None = Field(default=None, max_length=1000)


class SampleWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: Literal["regional", "hq"]
    period_start: datetime
    period_end: datetime
    seed: StrictInt = Field(ge=0, lt=2**63)


class SampleRead(BaseModel):
    id: int
    level: str
    period_start: LocalTime
    period_end: LocalTime
    seed: int
    rate: float
    population: int
    size: int
    strata: dict[str, dict[str, int]]
    drawn_by: str
    drawn_at: LocalTime
    inspections: list[InspectionRead]


class InspectionPage(BaseModel):
    items: list[InspectionRead]
    total: int
    limit: int
    offset: int


class RectificationWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(max_length=500)
    due_at: datetime | None = None


class InspectionWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scores: dict[str, StrictInt] = Field(max_length=20)
    findings: str | None = Field(default=None, max_length=2000)
    rectifications: list[RectificationWrite] = Field(default_factory=list, max_length=10)


class RectificationRead(BaseModel):
    id: int
    inspection_id: int
    ticket_id: int
    description: str
    assignee_user_id: int | None
    assignee_organisation_id: int | None
    due_at: LocalTime
    status: str  # open | overdue | done
    done_by: str | None
    done_at: LocalTime | None
    resolution: str | None


class InspectionDetail(InspectionRead):
    rectifications: list[RectificationRead]


class ScoreRead(BaseModel):
    id: int | None
    name: str
    inspections: int
    passed: int
    pass_rate: float
    average_score: float
    criteria: dict[str, float]
