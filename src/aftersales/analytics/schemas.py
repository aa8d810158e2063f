"""What the dashboard reads out of the database: plain frozen dataclasses, in stored values (the console
adds labels)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from pydantic import BaseModel

from aftersales.analytics.rules import rate


@dataclass(frozen=True)
class SlaCompliance:
    """Finished SLA targets of one priority: met in time, breached, and still running (not counted)."""

    met: int
    breached: int
    running: int

    @property
    def total(self) -> int:
        """Targets with an outcome (met or breached)."""
        return self.met + self.breached

    @property
    def rate(self) -> float | None:
        """Share of finished targets met in time (None when none finished)."""
        return rate(self.met, self.total)


@dataclass(frozen=True)
class Region:
    """A province and the cities in it that have tickets."""

    province: str
    cities: tuple[str, ...]


@dataclass(frozen=True)
class Dashboard:
    """The manager dashboard for tickets reported in [start, end] (local dates) in ``region`` (None: all).

    ``backlog_by_status`` and ``open`` are the current backlog and ``breaches_today`` counts today's
    breach events: both ignore the period (only the region applies).
    """

    start: date
    end: date
    today: date
    region: str | None
    volume_by_hour: list[int]
    volume_by_day: list[tuple[date, int]]
    sla_compliance: dict[str, SlaCompliance]
    backlog_by_status: dict[str, int]
    breaches_today: int
    top_fault_types: list[tuple[str, int]]
    breached_tickets: int
    # Dates of the period read from the daily rollups and the oldest of their computations (None when
    # every date was counted from the tickets): how far behind past dates may be. Not part of equality.
    rolled_up_days: int = field(default=0, compare=False)
    rolled_up_at: datetime | None = field(default=None, compare=False)

    @property
    def total(self) -> int:
        """Tickets reported in the period."""
        return sum(self.volume_by_hour)

    @property
    def open(self) -> int:
        """Tickets not closed or cancelled, now."""
        return sum(self.backlog_by_status.values())

    @property
    def breached_share(self) -> float | None:
        """Share of the period's tickets with at least one breached SLA target."""
        return rate(self.breached_tickets, self.total)

    @property
    def compliance(self) -> SlaCompliance:
        """All priorities together."""
        values = list(self.sla_compliance.values())
        return SlaCompliance(
            met=sum(item.met for item in values),
            breached=sum(item.breached for item in values),
            running=sum(item.running for item in values),
        )


class HotIssueRead(BaseModel):
    topic: str
    label: str
    count: int
    share: float
    baseline: float
    is_hot: bool
    is_surging: bool
    examples: list[str]


class HotIssues(BaseModel):
    window_hours: float
    share_threshold: float
    total: int
    issues: list[HotIssueRead]
