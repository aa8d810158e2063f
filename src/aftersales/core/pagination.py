"""Limit/offset paging shared by list endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_LIMIT = 200
# A listing counts its matches up to this many and no further (a count of millions of rows on every
# request is a full scan); ``total`` then reads COUNT_LIMIT + 1, shown as "10,000+".
COUNT_LIMIT = 10_000


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results with the total count before paging (bounded: see ``is_total_exact``)."""

    items: list[T]
    total: int
    limit: int
    offset: int

    @property
    def is_total_exact(self) -> bool:
        """False when there are more than COUNT_LIMIT matches (``total`` is then COUNT_LIMIT + 1)."""
        return self.total <= COUNT_LIMIT
