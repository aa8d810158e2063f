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


class CheckInRequiredError(ConflictError):
    """A result on an on-site ticket before anyone checked in (and without a supervisor's override)."""

    code = "ticket.check_in_required"


class VisitRequiredError(ConflictError):
    """A 回访 not recorded through a return visit."""

    code = "ticket.visit_required"
