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
    assignee_id: int | None = None


class AttemptWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: str
    note: str | None = Field(default=None, max_length=500)


class SurveyWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Only the required question must be there; an optional one may be left out or null (skipped).
    scores: dict[str, Any] = Field(max_length=20)
    comment: str | None = Field(default=None, max_length=2000)


class SurveyRead(BaseModel):
    id: int
    visit_id: int
    ticket_id: int
    scores: dict[str, int]
    skipped: list[str] = Field(default_factory=list)  # the ticket's questions left unanswered
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
