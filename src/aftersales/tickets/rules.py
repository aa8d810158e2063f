"""Pure ticket rules: the lifecycle transition table, ticket numbers, search-term shapes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from aftersales.accounts import policy
from aftersales.accounts.enums import Permission, Role
from aftersales.sla.enums import TargetKind
from aftersales.tickets.enums import Channel, EventType, TicketKind, TicketStatus

S = TicketStatus

# (event, from status) → to status. Anything not listed is forbidden.
TRANSITIONS: dict[tuple[EventType, TicketStatus], TicketStatus] = {
    (EventType.CONTACT, S.REGISTERED): S.IN_PROGRESS,
    (EventType.PROGRESS, S.IN_PROGRESS): S.IN_PROGRESS,
    (EventType.CHECK_IN, S.IN_PROGRESS): S.IN_PROGRESS,
    (EventType.RESULT, S.IN_PROGRESS): S.RESOLVED,
    (EventType.RETURN_VISIT, S.RESOLVED): S.VISITED,
    (EventType.CLOSE, S.VISITED): S.CLOSED,
    (EventType.HOLD, S.IN_PROGRESS): S.ON_HOLD,
    (EventType.RESUME, S.ON_HOLD): S.IN_PROGRESS,
    (EventType.REOPEN, S.RESOLVED): S.IN_PROGRESS,
    (EventType.REOPEN, S.VISITED): S.IN_PROGRESS,
    (EventType.REOPEN, S.CLOSED): S.IN_PROGRESS,
    (EventType.CANCEL, S.REGISTERED): S.CANCELLED,
    (EventType.CANCEL, S.IN_PROGRESS): S.CANCELLED,
    (EventType.CANCEL, S.ON_HOLD): S.CANCELLED,
}

LIFECYCLE_EVENTS = frozenset(event for event, _ in TRANSITIONS)

# Which SLA target an event meets.
MEETS: dict[EventType, tuple[TargetKind, ...]] = {
    EventType.CONTACT: (TargetKind.FIRST_RESPONSE,),
    EventType.CHECK_IN: (TargetKind.ONSITE,),
    # A result without a visit (solved remotely) also ends the on-site clock.
    EventType.RESULT: (TargetKind.ONSITE, TargetKind.RESOLUTION),
}

OPEN_STATUSES = frozenset({S.REGISTERED, S.IN_PROGRESS, S.ON_HOLD})

# Kinds a technician does at the customer's place, unless the product came to a counter (walk-in) or is
# one the catalogue services by mail-in (``is_onsite_service`` false).
ONSITE_KINDS = frozenset({TicketKind.INSTALLATION, TicketKind.REPAIR})
COUNTER_CHANNELS = frozenset({Channel.WALK_IN})
# The check-in comes only from the technician's job flow (with the position): the generic endpoints refuse
# it for everyone. (The 回访 is refused by the service unless a return visit records it.)
JOB_FLOW_EVENTS = frozenset({EventType.CHECK_IN})
MAX_OVERRIDE_REASON = 500


def needs_check_in(kind: TicketKind | str, channel: Channel | str, *, is_onsite_product: bool = True) -> bool:
    """Whether a result needs someone to have checked in on site first."""
    return str(kind) in ONSITE_KINDS and str(channel) not in COUNTER_CHANNELS and is_onsite_product


def checked_in_since_reopen(event_types: Iterable[str]) -> bool:
    """Whether the timeline (oldest first) has a check-in after the latest reopen: each result of an
    on-site ticket follows its own visit."""
    found = False
    for event_type in event_types:
        if event_type == EventType.REOPEN.value:
            found = False
        elif event_type == EventType.CHECK_IN.value:
            found = True
    return found


def next_status(event: EventType, current: TicketStatus) -> TicketStatus | None:
    """The status after ``event``, or None when the lifecycle forbids it."""
    return TRANSITIONS.get((event, current))


def allowed_events(current: TicketStatus) -> list[EventType]:
    """Lifecycle events allowed from a status, in table order."""
    return [event for (event, source) in TRANSITIONS if source == current]


def format_number(prefix: str, day: date, sequence: int) -> str:
    """SH20261122-000123."""
    return f"{prefix}{day:%Y%m%d}-{sequence:06d}"


_NUMBER_RE = re.compile(r"^[A-Z]{1,4}\d{8}-\d{1,6}$")
_DIGITS_RE = re.compile(r"^\+?\d[\d\s-]{2,}$")


def looks_like_number(text: str) -> bool:
    """True for a full ticket number such as SH20261122-000123."""
    return bool(_NUMBER_RE.fullmatch(text.strip().upper()))


def phone_digits(text: str) -> str | None:
    """The digits of a search term that looks like (part of) a phone number, else None."""
    stripped = text.strip()
    if _DIGITS_RE.fullmatch(stripped):
        digits = re.sub(r"\D", "", stripped)
        return digits if len(digits) >= 4 else None
    return None


def sees_internal_comments(role: Role) -> bool:
    """Internal comments are the office's (agents, dispatchers, managers, inspectors): never shown to the
    customer, nor to the technician or partner provider in the field."""
    return policy.allows(role, Permission.TICKET_INTERNAL_NOTES)


# What the technician or partner provider may record through the generic lifecycle endpoint: the rest of
# their work (check-in, result with photos and the customer's confirmation) goes through the job flow,
# and cancelling, closing or reopening is the office's.
FIELD_EVENTS = frozenset({EventType.CONTACT, EventType.PROGRESS, EventType.HOLD, EventType.RESUME})
FIELD_ROLES = frozenset({Role.TECHNICIAN, Role.PROVIDER})


def may_record_directly(role: Role, event_type: EventType) -> bool:
    """Whether ``role`` may record ``event_type`` through the generic lifecycle endpoint (never a check-in:
    that comes from the job flow, with the position)."""
    if event_type in JOB_FLOW_EVENTS:
        return False
    return role not in FIELD_ROLES or event_type in FIELD_EVENTS


def may_override(role: Role) -> bool:
    """Whether ``role`` may record a result without a check-in, with a reason (a supervisor)."""
    return policy.allows(role, Permission.TICKET_OVERRIDE)


def may_comment(role: Role) -> bool:
    """The inspector reads and grades; everyone else who sees a ticket may comment on it."""
    return policy.allows(role, Permission.TICKET_COMMENT)


def may_write_internal_comments(role: Role) -> bool:
    """A customer's comment is always public: it is written to the people handling the ticket."""
    return role != Role.CUSTOMER
