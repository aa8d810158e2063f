"""Ticket errors."""

from aftersales.core.errors import ConflictError, InvalidInputError, NotFoundError


class TicketNotFoundError(NotFoundError):
    code = "ticket.not_found"


class InvalidTransitionError(ConflictError):
    code = "ticket.invalid_transition"


class VersionConflictError(ConflictError):
    code = "ticket.version_conflict"


class InvalidTicketError(InvalidInputError):
    code = "ticket.invalid"


class UnknownEventTypeError(InvalidInputError):
    """A timeline event type no package registered with ``tickets.events``."""

    code = "ticket.unknown_event_type"
