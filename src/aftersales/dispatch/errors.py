"""Dispatch errors."""

from aftersales.core.errors import InvalidInputError, NotFoundError


class InvalidDispatchInputError(InvalidInputError):
    code = "dispatch.invalid"


class PlanNotFoundError(NotFoundError):
    code = "dispatch.plan_not_found"
