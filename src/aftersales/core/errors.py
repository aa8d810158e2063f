"""Domain exceptions with stable codes; the web edge maps their class to an HTTP status.

The message is a marked Chinese template and its parameters (``aftersales.core.i18n``)::

    raise TicketNotFoundError(N_("工单 %(id)s 不存在"), {"id": ticket_id})

``detail`` is the Chinese text (problem JSON, CLI); the console renders the template in the reader's
language (``web.messages.domain_message``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aftersales.core.i18n import Gettext, LabelOf, Message


class DomainError(Exception):
    """Base class: ``code`` is stable (``<area>.<reason>``); ``message`` is a marked template (``N_``)
    and ``params`` its values, ``detail`` the two put together. A ``Message`` (with its parameters) may be
    given as the message instead."""

    code = "error"

    def __init__(
        self,
        message: str,
        params: Mapping[str, object] | None = None,
        *,
        code: str | None = None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        text = Message(message, params)
        super().__init__(str(text))
        self.text = text
        self.message = text.template
        self.params = text.params
        self.detail = str(text)
        if code is not None:
            self.code = code
        self.fields = fields or {}

    def render(self, gettext: Gettext, label_of: LabelOf) -> str:
        """The message in the language of ``gettext`` (``_(message) % params``), labels from ``label_of``."""
        return self.text.render(gettext, label_of)


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


class RateLimitedError(DomainError):
    """Too many requests of one kind from one client or account (429, with when to try again)."""

    code = "request.rate_limited"

    def __init__(self, message: str, params: dict[str, object] | None = None, *, retry_after: int) -> None:
        super().__init__(message, params, fields={"retry_after": retry_after})
        self.retry_after = retry_after
