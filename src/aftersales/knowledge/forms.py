"""What the knowledge screens (articles and bulletins) share to read their forms: lists typed as text,
bounded values, the version an editor started from, a local date and time. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from aftersales.core.timeutil import LOCAL, to_local

E = TypeVar("E", bound=StrEnum)
# Items of a list field may be separated by commas (either width), 、, semicolons or spaces.
_SEPARATORS = re.compile(r"[,，、;；\s]+")
# The console pages the lists of the knowledge screens by this many rows.
PAGE_SIZE = 25


def text(form: Mapping[str, Any], name: str, *, longest: int) -> str:
    """A form field as text, cut to ``longest`` characters (what was typed is kept for the redraw)."""
    return str(form.get(name) or "")[:longest]


def items(value: str) -> list[str]:
    """ "YL-S7, YL-F3、YL-P1" → the items, blanks dropped, first spelling of each kept."""
    return list(dict.fromkeys(part for part in _SEPARATORS.split(value) if part))


def lines(value: str) -> list[str]:
    """One item per line, each trimmed, blank lines dropped."""
    return [line.strip() for line in value.splitlines() if line.strip()]


def version(value: str) -> int | None:
    """The version the editor started from, or None when the form does not carry a number."""
    value = value.strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def local_datetime(value: str) -> datetime | None:
    """A ``datetime-local`` field ("2026-12-01T18:00", local time) as an aware time; None when blank.

    Raises ValueError when it is not a date and time."""
    value = value.strip()
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=LOCAL) if parsed.tzinfo is None else parsed


def datetime_field(value: datetime | str | None) -> str:
    """A stored time (or an ISO text from a history snapshot) as the value of a ``datetime-local`` field."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return to_local(moment).strftime("%Y-%m-%dT%H:%M")


def local_text(value: datetime | str | None) -> str:
    """A stored time (or an ISO text from a history snapshot) as local "年-月-日 时:分" ('' for none)."""
    return datetime_field(value).replace("T", " ")


def shown(value: object) -> str:
    """A snapshot value as one line of text (lists joined with 、)."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "、".join(str(item) for item in value)
    return str(value)


def too_many(counts: Mapping[str, tuple[int, int]]) -> dict[str, int]:
    """Field → its limit, for every field with more items than allowed (``counts``: field → (items, limit))."""
    return {name: limit for name, (count, limit) in counts.items() if count > limit}


def choice(members: type[E], value: str) -> E | None:
    """The member of ``members`` whose stored value is ``value`` (None for anything else)."""
    return next((member for member in members if member.value == value), None)
