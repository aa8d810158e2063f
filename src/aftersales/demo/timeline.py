"""Plan the life of one demo ticket: which lifecycle steps it took and when.

Pure: no session, no clock. Each ticket gets a full, plausible life (contact, visit, result, return visit,
close, with holds, reopenings and cancellations along the way), timed as fractions of its SLA targets so
that most targets are met, some only just (warnings) and some late (breaches). The life is then cut at
``now``: old tickets are mostly closed, recent ones are still open wherever their life has got to — and,
as in a live system, some of those whose target is in its warning zone right now are still waiting.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from aftersales.sla import rules as sla_rules
from aftersales.tickets.enums import EventType, TicketKind

E = EventType
# When technicians call on customers and agents make return visits (local time).
VISITING_HOURS = sla_rules.daily_hours(time(8, 30), time(21, 0))


@dataclass(frozen=True)
class Clocks:
    """The SLA policy of one priority, as far as planning needs it."""

    first_response: timedelta
    resolution: timedelta
    onsite: timedelta | None
    calendar: sla_rules.CalendarSpec
    warning_ratio: float = 0.8


@dataclass(frozen=True)
class Shape:
    """What kind of work the ticket is."""

    kind: TicketKind
    is_onsite: bool  # a technician calls on the customer (installation/repair of an on-site product)
    is_mail_in: bool  # the product is sent in for repair


def _minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


def _hours(value: float) -> timedelta:
    return timedelta(hours=value)


def _fraction(rng: random.Random, *, late: float, warn: float, fast: tuple[float, float]) -> float:
    """Share of a target's time used: mostly well inside, sometimes in the warning zone, sometimes late."""
    draw = rng.random()
    if draw < late:
        return rng.uniform(1.05, 3.0)
    if draw < late + warn:
        return rng.uniform(0.82, 0.98)
    return rng.uniform(*fast)


def _visiting(rng: random.Random, at: datetime) -> datetime:
    """``at`` if it falls within visiting hours, else some time in the first two hours of the next day."""
    opening = sla_rules.add_business_time(VISITING_HOURS, at, timedelta(0))
    return at if opening == at else opening + _minutes(rng.uniform(0, 120))


class _Life:
    """Accumulates steps, each strictly after the one before."""

    def __init__(self, start: datetime) -> None:
        self.steps: list[tuple[EventType, datetime]] = []
        self.last = start

    def add(self, event: EventType, at: datetime) -> datetime:
        at = max(at, self.last + timedelta(minutes=1))
        self.steps.append((event, at))
        self.last = at
        return at


def plan_steps(
    rng: random.Random, *, reported_at: datetime, now: datetime, shape: Shape, clocks: Clocks
) -> list[tuple[EventType, datetime]]:
    """The steps this ticket has taken by ``now``, oldest first."""
    life = _Life(reported_at)
    _live(rng, life, reported_at=reported_at, now=now, shape=shape, clocks=clocks)
    return [(event, at) for event, at in life.steps if at <= now]


def _window(clocks: Clocks, start: datetime, duration: timedelta) -> tuple[datetime, datetime]:
    """When a target counted from ``start`` warns and falls due."""
    warn = sla_rules.add_business_time(clocks.calendar, start, duration * clocks.warning_ratio)
    return warn, sla_rules.add_business_time(clocks.calendar, start, duration)


def _still_waiting(rng: random.Random, *, now: datetime, window: tuple[datetime, datetime], chance: float) -> bool:
    """Whether a target that is in its warning zone right now is still open (the live backlog)."""
    warn, due = window
    return warn <= now < due and rng.random() < chance


def _live(
    rng: random.Random, life: _Life, *, reported_at: datetime, now: datetime, shape: Shape, clocks: Clocks
) -> None:
    calendar = clocks.calendar
    fate = rng.random()
    first_window = _window(clocks, reported_at, clocks.first_response)
    if fate < 0.025:  # withdrawn before anyone called back (within the first-contact time)
        life.add(E.CANCEL, reported_at + (first_window[0] - reported_at) * rng.uniform(0.05, 0.9))
        return
    if fate < 0.028:  # slipped through the net: never contacted
        return
    contact_share = _fraction(rng, late=0.05, warn=0.08, fast=(0.01, 0.3))
    contact_at = sla_rules.add_business_time(calendar, reported_at, clocks.first_response * contact_share)
    if _still_waiting(rng, now=now, window=first_window, chance=0.5):
        contact_at = max(contact_at, now + _minutes(rng.uniform(1, 30)))
    life.add(E.CONTACT, contact_at)
    if fate < 0.048:  # cancelled once the agent had talked to the customer
        life.add(E.CANCEL, life.last + _hours(rng.uniform(0.5, 30)))
        return
    if shape.kind == TicketKind.CONSULTATION:
        resolution_share = _fraction(rng, late=0.02, warn=0.05, fast=(0.0, 0.12))
    else:
        resolution_share = _fraction(rng, late=0.06, warn=0.1, fast=(0.1, 0.6))
    resolve_at = sla_rules.add_business_time(calendar, reported_at, clocks.resolution * resolution_share)
    if _still_waiting(rng, now=now, window=_window(clocks, reported_at, clocks.resolution), chance=0.6):
        resolve_at = max(resolve_at, now + _minutes(rng.uniform(5, 120)))
    _work(rng, life, reported_at=reported_at, shape=shape, clocks=clocks)
    hold_chance = 0.14 if shape.is_onsite or shape.is_mail_in else 0.05
    if rng.random() < hold_chance:
        hold_at = life.add(E.HOLD, life.last + _minutes(rng.uniform(10, 180)))
        if rng.random() < 0.12:  # still waiting (a part on back order), or given up
            if rng.random() < 0.3:
                life.add(E.CANCEL, hold_at + _hours(rng.uniform(24, 240)))
            return
        resume_at = life.add(E.RESUME, hold_at + _hours(rng.uniform(3, 120)))
        # The resolution clock stood still for the open time of the hold.
        paused = sla_rules.business_time_between(calendar, hold_at, resume_at)
        resolve_at = sla_rules.add_business_time(calendar, reported_at, clocks.resolution * resolution_share + paused)
    if rng.random() < 0.015:  # stuck in progress
        return
    life.add(E.RESULT, max(resolve_at, life.last + _minutes(rng.uniform(15, 90))))
    if rng.random() < 0.03:  # nobody has made the return visit
        return
    if rng.random() < 0.025:  # the fix did not hold before the return visit
        _reopen(rng, life, shape=shape, calendar=calendar, after=_hours(rng.uniform(2, 96)))
        return
    life.add(E.RETURN_VISIT, _visiting(rng, life.last + _hours(rng.uniform(2, 60))))
    if rng.random() < 0.03:  # visited, waiting for the inspector to close it
        return
    life.add(E.CLOSE, _visiting(rng, life.last + _minutes(rng.uniform(10, 1800))))
    if rng.random() < 0.04:
        _reopen(rng, life, shape=shape, calendar=calendar, after=timedelta(days=rng.uniform(1, 14)))


def _work(rng: random.Random, life: _Life, *, reported_at: datetime, shape: Shape, clocks: Clocks) -> None:
    """Between first contact and the result: the visit or the mail-in round trip, and progress notes."""
    if shape.is_mail_in:
        life.add(E.PROGRESS, life.last + _hours(rng.uniform(6, 20)))
        if rng.random() < 0.6:
            life.add(E.PROGRESS, life.last + _hours(rng.uniform(2, 16)))
        return
    if shape.is_onsite:
        if clocks.onsite is not None:
            share = _fraction(rng, late=0.08, warn=0.1, fast=(0.3, 0.78))
            arrival = sla_rules.add_business_time(clocks.calendar, reported_at, clocks.onsite * share)
        else:
            arrival = _visiting(rng, life.last + _hours(rng.uniform(1, 24)))
        if rng.random() < 0.35:
            life.add(E.PROGRESS, arrival - _minutes(rng.uniform(20, 60)))
        life.add(E.CHECK_IN, arrival)
        return
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        life.add(E.PROGRESS, life.last + _hours(rng.uniform(0.2, 4)))


def _reopen(
    rng: random.Random, life: _Life, *, shape: Shape, calendar: sla_rules.CalendarSpec, after: timedelta
) -> None:
    """The customer calls again: reopen, fix again (on the rest of the resolution time), visit, close."""
    life.add(E.REOPEN, life.last + after)
    life.add(E.PROGRESS, life.last + _hours(rng.uniform(0.3, 3)))
    if shape.is_onsite:
        life.add(E.CHECK_IN, _visiting(rng, life.last + _hours(rng.uniform(1, 6))))
    life.add(E.RESULT, sla_rules.add_business_time(calendar, life.last, _hours(rng.uniform(0.3, 5))))
    life.add(E.RETURN_VISIT, _visiting(rng, life.last + _hours(rng.uniform(2, 60))))
    if rng.random() < 0.9:
        life.add(E.CLOSE, _visiting(rng, life.last + _minutes(rng.uniform(10, 1440))))
