"""Intake rules: keywords that set a kind and/or a priority."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.core.db import Base, JSONType, UTCDateTime


class IntakeRule(Base):
    """When any keyword occurs in the text, the rule proposes its kind and/or priority."""

    __tablename__ = "triage_intake_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    keywords: Mapped[list[str]] = mapped_column(JSONType)
    kind: Mapped[str | None] = mapped_column(String(32))
    priority: Mapped[str | None] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(default=100)
    is_active: Mapped[bool] = mapped_column(default=True)


class TriageModelVersion(Base):
    """A trained triage model with its held-out evaluation; one is active (rollback = activate another)."""

    __tablename__ = "triage_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))  # corpus | corpus+history
    trained_on: Mapped[int]
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONType)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    is_active: Mapped[bool] = mapped_column(default=False, index=True)
