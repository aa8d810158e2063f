"""Triage schemas."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RuleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    keywords: list[str] = Field(min_length=1)
    kind: Literal["consultation", "installation", "repair", "complaint"] | None = None
    priority: Literal["urgent", "routine", "complex"] | None = None
    position: int = 100


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    keywords: list[str]
    kind: str | None
    priority: str | None
    position: int
    is_active: bool
