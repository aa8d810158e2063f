"""Bounded request parameters: a database integer is 64-bit, so an id or a count beyond it is a client
error named by its field (422), never a driver overflow (500)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

MAX_INT = 2**63 - 1

# A row id in a path: positive and within the database's integer.
IdPath = Annotated[int, Path(ge=1, le=MAX_INT)]
# The same in a query string (a filter), and paging: an offset is a count of rows, bounded likewise.
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_INT)]
Offset = Annotated[int, Query(ge=0, le=MAX_INT)]
