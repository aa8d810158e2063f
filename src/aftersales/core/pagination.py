"""Limit/offset paging shared by list endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_LIMIT = 200


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results with the total count before paging."""

    items: list[T]
    total: int
    limit: int
    offset: int
