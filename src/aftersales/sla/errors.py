"""SLA errors."""

from aftersales.core.errors import ConflictError, InvalidInputError, NotFoundError


class CalendarNotFoundError(NotFoundError):
    code = "sla.calendar_not_found"


class PolicyNotFoundError(NotFoundError):
    code = "sla.policy_not_found"


class InvalidCalendarError(InvalidInputError):
    code = "sla.invalid_calendar"


class CalendarDayNotFoundError(NotFoundError):
    code = "sla.calendar_day_not_found"


class InvalidPolicyError(InvalidInputError):
    code = "sla.invalid_policy"


class PolicyChangedError(ConflictError):
    """Someone else saved the policy (or the calendar) since the form was loaded."""

    code = "sla.changed_meanwhile"
