"""Shared reply types of the quality API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from aftersales.core.timeutil import to_local

# Stored in UTC, shown in Asia/Shanghai like every other reply.
LocalTime = Annotated[datetime, AfterValidator(to_local)]


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class NoteWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=500)
