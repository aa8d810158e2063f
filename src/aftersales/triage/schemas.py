"""Triage schemas."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from aftersales.core.bounds import DbInt


class RuleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    keywords: list[str] = Field(min_length=1)
    kind: Literal["consultation", "installation", "repair", "complaint"] | None = None
    priority: Literal["urgent", "routine", "complex"] | None = None
    position: DbInt = 100


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    keywords: list[str]
    kind: str | None
    priority: str | None
    position: int
    is_active: bool


class ClassifyRequest(BaseModel):
    text: str = Field(min_length=1, max_length=5000)


class ClassifyResult(BaseModel):
    kind: str
    priority: str
    reasons: list[str]


class TriageRequest(BaseModel):
    text: str = Field(min_length=1, max_length=5000)


class TriageResult(BaseModel):
    kind: str
    priority: str
    product_model: str | None
    fault_type: str | None
    confidence: float
    sentiment: float = Field(description="-1..1, > 0 positive")
    anger: float = Field(description="0..1")
    handoff: bool
    reasons: list[str]
