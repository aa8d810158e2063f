"""Bounds of what the database can hold, for request schemas: a 64-bit integer. A value beyond it is the
client's error, refused by validation with the field named (422), never a driver overflow (500)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_INT = 2**63 - 1

RowId = Annotated[int, Field(ge=1, le=MAX_INT)]  # an id given in a body
Version = Annotated[int, Field(ge=1, le=MAX_INT)]  # an optimistic-lock version
DbInt = Annotated[int, Field(ge=-MAX_INT - 1, le=MAX_INT)]
