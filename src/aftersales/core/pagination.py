"""Paging shared by list endpoints: limit/offset, and keyset cursors for lists read deep."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_LIMIT = 200
# A listing counts its matches up to this many and no further (a count of millions of rows on every
# request is a full scan); ``total`` then reads COUNT_LIMIT + 1, shown as "1,000+". Measured on 10
# million tickets: a count that filters row by row (a text search, two filters) reads about 1 ms per
# 40 matches, so 10,000 would cost ~250 ms per request and 1,000 costs ~25 ms (docs/benchmarks.md §12).
COUNT_LIMIT = 1_000
# The deepest offset a long list accepts. Skipping rows still reads them: at 10 million tickets an offset
# of 5,000,000 took 0.24-0.33 s however small the page, and grows with the table. Deeper pages are read by
# keyset (``after=``), 13-24 ms at any depth (docs/benchmarks.md §12). The console's pages stop well short.
MAX_OFFSET = 100_000


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results with the total count before paging (bounded: see ``is_total_exact``)."""

    items: list[T]
    total: int
    limit: int
    offset: int
    # Where the next page starts (``after=``), when this page is full; None on the last page.
    next_after: str | None = None
    # When part of the search looked only at recent rows: the oldest time it covered (see the listing).
    searched_since: datetime | None = None

    @property
    def is_total_exact(self) -> bool:
        """False when there are more than COUNT_LIMIT matches (``total`` is then COUNT_LIMIT + 1)."""
        return self.total <= COUNT_LIMIT


def encode_after(at: datetime, ident: int) -> str:
    """An opaque cursor for "the rows after this one" in a list ordered by (time, id), newest first."""
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{ident}".encode()).decode().rstrip("=")


def decode_after(cursor: str) -> tuple[datetime, int] | None:
    """The (time, id) a cursor from ``encode_after`` names; None when it is not one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, ident = raw.partition("|")
        moment, number = datetime.fromisoformat(at), int(ident)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if moment.tzinfo is None or number < 1:
        return None
    return moment, number
