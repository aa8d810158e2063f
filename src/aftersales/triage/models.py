"""Intake rules: keywords that set a kind and/or a priority."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.core.db import Base, JSONType


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
