"""Request and reply shapes of the use-case layer's API (the self-service assistant)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AssistCustomer(BaseModel):
    name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40)


class AssistRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_id: str = Field(min_length=1, max_length=64)
    message: str = Field(min_length=1, max_length=2000)
    customer: AssistCustomer | None = None


class AssistResponse(BaseModel):
    action: str
    message: str
    session_id: str
    article_id: int | None
    options: list[dict[str, Any]]
    ticket_id: int | None
    ticket_number: str | None
    emotion_report: dict[str, Any] | None
