"""Dispatch errors."""

from aftersales.core.errors import InvalidInputError


class InvalidDispatchInputError(InvalidInputError):
    code = "dispatch.invalid"
