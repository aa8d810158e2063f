"""Which timeline event types exist, and which package owns each.

``tickets`` owns the lifecycle and its own system events (``enums.EventType``); every other package
declares its types in its own enums module and registers them here, from the module that records
them, so a new package adds events without editing ``tickets``. ``service.record_event`` refuses a
type nobody registered. The registry is per process and only grows.
"""

from __future__ import annotations

from collections.abc import Iterable

from aftersales.tickets.enums import EventType

OWNER = "tickets"

_owners: dict[str, str] = {}


class EventTypeClaimedError(ValueError):
    """A package tried to register a type another package already owns (a programming error)."""


def register_event_types(owner: str, types: Iterable[str]) -> None:
    """Claim ``types`` for ``owner``. Registering again for the same owner is a no-op; a type owned by
    another package raises and registers nothing of this call."""
    wanted = [str(event_type) for event_type in types]
    for event_type in wanted:
        if not event_type or len(event_type) > 32:
            raise ValueError(f"timeline event type {event_type!r} must be 1–32 characters")
        current = _owners.get(event_type)
        if current is not None and current != owner:
            raise EventTypeClaimedError(f"timeline event type {event_type!r} belongs to {current!r}, not {owner!r}")
    for event_type in wanted:
        _owners[event_type] = owner


def owner_of(event_type: str) -> str | None:
    """The package that registered ``event_type``, or None when nobody did."""
    return _owners.get(str(event_type))


def is_registered(event_type: str) -> bool:
    """True when some package registered ``event_type``."""
    return str(event_type) in _owners


register_event_types(OWNER, EventType)
