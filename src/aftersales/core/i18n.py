"""Text for people, written below the web layer: marked Chinese templates and their parameters.

Domain code writes its messages in Chinese (the source language) as templates with ``%(name)s``
placeholders, marks them with ``N_`` (a no-op that ``make messages`` extracts into the catalog) and keeps
the values apart: ``Message(N_("工单 %(id)s 不存在"), {"id": 7})``. As a str a message is the Chinese
text with the values filled in, so it goes wherever text goes (an error's ``detail``, a field's problem,
a ``ValueError``); the web edge renders it again in the reader's language with ``render``.

A parameter may itself be a ``Message`` (``Joined`` for several), or a ``Label``: a stored value that is
shown by its label from ``web.labels`` (domain code keeps the value, never the label). Any other value is
shown as it is, untranslated (names, numbers, what the user typed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

Gettext = Callable[[str], str]
LabelOf = Callable[[str, str], str]


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return message


def _same(message: str) -> str:
    return message


def _value(_group: str, value: str) -> str:
    return value


@dataclass(frozen=True)
class Label:
    """A stored value inside a message, shown by its label (``web.labels`` group ``group``) where the
    message is rendered; as text on its own it is the value."""

    group: str
    value: str

    def __str__(self) -> str:
        return self.value


class Message(str):
    """A marked template and its parameters; the str itself is the template filled in (labels as values).

    A template without parameters is used as it is, so only templates with parameters need ``%%``."""

    template: str
    params: dict[str, object]

    def __new__(cls, template: str, params: Mapping[str, object] | None = None) -> Message:
        if isinstance(template, Message) and params is None:
            return template  # already a message (a marked str becomes one without parameters)
        values = dict(params or {})
        self = super().__new__(cls, template % values if values else template)
        self.template = template
        self.params = values
        return self

    def render(self, gettext: Gettext = _same, label_of: LabelOf = _value) -> str:
        """The text in the language of ``gettext``, labels looked up with ``label_of``."""
        text = gettext(self.template)
        if not self.params:
            return text
        return text % {name: render(value, gettext, label_of) for name, value in self.params.items()}


SEPARATOR = N_("；")


class Joined(Message):
    """Several messages (a form's problems) shown as one, separated by "；" (itself translated). A part that
    is a plain str is a marked message without parameters."""

    parts: tuple[object, ...]

    def __new__(cls, parts: Iterable[object]) -> Joined:
        items = tuple(parts)
        self = str.__new__(cls, SEPARATOR.join(str(part) for part in items))
        self.template = str(self)
        self.params = {}
        self.parts = items
        return self

    def render(self, gettext: Gettext = _same, label_of: LabelOf = _value) -> str:
        texts = (gettext(part) if type(part) is str else str(render(part, gettext, label_of)) for part in self.parts)
        return gettext(SEPARATOR).join(texts)


def render(value: object, gettext: Gettext = _same, label_of: LabelOf = _value) -> object:
    """A message parameter as shown: messages and labels in the language of ``gettext``, other values as
    they are."""
    if isinstance(value, Message):
        return value.render(gettext, label_of)
    if isinstance(value, Label):
        return gettext(label_of(value.group, value.value))
    return value


def message_of(error: BaseException) -> str:
    """The message an exception was raised with (a ``Message`` keeps its template and parameters)."""
    first = error.args[0] if error.args else None
    return first if isinstance(first, str) else str(error)
