"""SLA errors."""

from aftersales.core.errors import InvalidInputError, NotFoundError


class CalendarNotFoundError(NotFoundError):
    code = "sla.calendar_not_found"


class PolicyNotFoundError(NotFoundError):
    code = "sla.policy_not_found"


class InvalidCalendarError(InvalidInputError):
    code = "sla.invalid_calendar"
