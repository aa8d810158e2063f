"""Domain exceptions with stable codes; the web edge maps their class to an HTTP status."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class: ``code`` is stable (``<area>.<reason>``), ``detail`` is human text."""

    code = "error"

    def __init__(self, detail: str, *, code: str | None = None, fields: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.fields = fields or {}


class InvalidInputError(DomainError):
    """The caller sent something that cannot be accepted (maps to 422)."""

    code = "request.invalid"


class NotFoundError(DomainError):
    """The thing asked for does not exist or is not visible to the caller (404)."""

    code = "not_found"


class ConflictError(DomainError):
    """The request clashes with the current state (409)."""

    code = "conflict"


class PermissionDeniedError(DomainError):
    """The caller is known but may not do this (403)."""

    code = "auth.forbidden"


class AuthenticationError(DomainError):
    """The caller could not be identified (401)."""

    code = "auth.unauthenticated"
