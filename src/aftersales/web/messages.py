"""Domain errors as people read them: in the page's language on the console, in Chinese in problem JSON.

An error carries a marked Chinese template and its parameters (``core.i18n``), so the console shows
``_(error.message) % error.params``; parameters that are stored values take their labels from
``web.labels``. Field problems that are messages are rendered the same way.
"""

from __future__ import annotations

from typing import Any

from aftersales.core.errors import DomainError, NotFoundError
from aftersales.core.i18n import Gettext, Message
from aftersales.web.labels import label


def _chinese(message: str) -> str:
    return message


def domain_message(error: DomainError, _: Gettext) -> str:
    """The error's message in the request's language (anything not found or not visible is said the same
    way, so a page does not tell which)."""
    if isinstance(error, NotFoundError):
        return _("找不到该记录，或您无权查看")
    return error.render(_, label)


def field_messages(error: DomainError, _: Gettext) -> dict[str, str]:
    """Field → its problem in the request's language."""
    return {
        name: value.render(_, label) if isinstance(value, Message) else _(str(value))
        for name, value in error.fields.items()
    }


def problem_detail(error: DomainError) -> str:
    """The Chinese text of problem JSON (labels of stored values included)."""
    return error.render(_chinese, label)


def problem_fields(error: DomainError) -> dict[str, Any]:
    """The error's fields for problem JSON, field problems in Chinese."""
    return {
        name: value.render(_chinese, label) if isinstance(value, Message) else value
        for name, value in error.fields.items()
    }
