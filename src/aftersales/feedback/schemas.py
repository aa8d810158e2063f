"""Request and reply shapes of the feedback API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class VisitRead(BaseModel):
    id: int
    ticket_id: int
    status: str
    due_at: datetime
    attempts: int
    outcome: str | None


class AttemptWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: str
    note: str | None = Field(default=None, max_length=500)


class SurveyWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scores: dict[str, Any]
    comment: str | None = Field(default=None, max_length=2000)


class SurveyRead(BaseModel):
    id: int
    visit_id: int
    ticket_id: int
    scores: dict[str, int]
    comment: str | None
    follow_up_ticket_id: int | None


class PromiseWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(max_length=500)
    due_at: datetime
    owner_username: str = Field(max_length=64)
    departments: list[str] = Field(default_factory=list, max_length=10)


class PromiseRead(BaseModel):
    id: int
    ticket_id: int
    description: str
    owner_id: int
    departments: list[str]
    due_at: datetime
    status: str
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    fulfilled_at: datetime | None


class FulfilWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=500)
