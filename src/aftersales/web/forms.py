"""Form plumbing shared by console pages: validation errors as field messages."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError

Gettext = Callable[[str], str]


def pydantic_fields(error: ValidationError, _: Gettext, aliases: dict[str, str] | None = None) -> dict[str, str]:
    """Field name → Chinese message for a validation error (first message per field)."""
    fields: dict[str, str] = {}
    for item in error.errors():
        name = ".".join(str(part) for part in item.get("loc", ()))
        name = (aliases or {}).get(name, name)
        message = str(item.get("msg", "")).removeprefix("Value error, ")
        kind = item.get("type", "")
        if kind in ("missing", "string_too_short"):
            message = _("此项必填")
        elif kind == "string_too_long":
            message = _("内容过长")
        elif kind in ("enum", "literal_error"):
            message = _("请选择有效的选项")
        elif kind.startswith("date"):
            message = _("日期格式应为 年-月-日")
        fields.setdefault(name, _(message))
    return fields
