"""Limit/offset paging shared by list endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_LIMIT = 200
# A listing counts its matches up to this many and no further (a count of millions of rows on every
# request is a full scan); ``total`` then reads COUNT_LIMIT + 1, shown as "1,000+". Measured on 10
# million tickets: a count that filters row by row (a text search, two filters) reads about 1 ms per
# 40 matches, so 10,000 would cost ~250 ms per request and 1,000 costs ~25 ms (docs/benchmarks.md §12).
COUNT_LIMIT = 1_000


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
