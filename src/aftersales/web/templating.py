"""Jinja2 for the console: one environment per language, templates from every package's ``templates/``.

``render()`` fills the context every page needs (the signed-in user, CSRF token, language, navigation)
and returns an HTMLResponse. Filters show times in the configured zone, ``note_of(event)`` a timeline note
in the page's language (``notes``); the app factory adds the navigation and the filters of domain
packages (``configure``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache, partial
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

from aftersales.core.timeutil import to_local
from aftersales.web import labels, notes
from aftersales.web.i18n import DEFAULT_LOCALE, LOCALE_LABELS, normalise_locale, translations

# Packages that keep templates under <package>/templates/<package>/.
TEMPLATE_PACKAGES = (
    "web",
    "accounts",
    "usecases",
    "analytics",
    "knowledge",
    "dispatch",
    "feedback",
    "notifications",
    "quality",
    "sla",
    "triage",
)
LOCALE_COOKIE = "as_lang"
STATIC_VERSION = "1"

# What the composition root (``app.create_app``) plugs in: the navigation by role, as
# (path, label, role values that see it), and filters that belong to domain packages (phone masking).
_NAVIGATION: list[tuple[str, str, frozenset[str]]] = []
_FILTERS: dict[str, Callable[..., Any]] = {}


def configure(
    *, navigation: Sequence[tuple[str, str, frozenset[str]]], filters: Mapping[str, Callable[..., Any]]
) -> None:
    """Install the console's navigation and domain filters (called once by the app factory)."""
    _NAVIGATION[:] = list(navigation)
    _FILTERS.clear()
    _FILTERS.update(filters)
    environment.cache_clear()


def format_local(value: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time as text in the configured local zone ('' for None)."""
    return "" if value is None else to_local(value).strftime(pattern)


@lru_cache(maxsize=4)
def environment(locale: str) -> Environment:
    """The Jinja environment of one language (built once)."""
    env = Environment(
        loader=ChoiceLoader([PackageLoader(f"aftersales.{package}", "templates") for package in TEMPLATE_PACKAGES]),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.filters["local"] = format_local
    env.filters.update(_FILTERS)
    env.globals["label"] = labels.label
    env.globals["note_of"] = partial(notes.event_note, locale=locale)  # a timeline event's note, this language
    env.globals["locale"] = locale
    env.globals["locale_labels"] = LOCALE_LABELS
    env.globals["static_version"] = STATIC_VERSION
    return env


def request_locale(request: Request) -> str:
    """The page language: the signed-in session's, else the language cookie, else Chinese."""
    signed = getattr(request.state, "console", None)
    if signed is not None:
        return str(signed.locale)
    return (
        normalise_locale(request.cookies.get(LOCALE_COOKIE)) if request.cookies.get(LOCALE_COOKIE) else DEFAULT_LOCALE
    )


def gettext_for(request: Request) -> Any:
    """``_`` for messages built in Python (flash texts, field errors) in the request's language."""
    return translations(request_locale(request)).gettext


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render a console template with the shared context."""
    locale = request_locale(request)
    signed = getattr(request.state, "console", None)
    navigation = []
    if signed is not None:
        navigation = [(path, text) for path, text, roles in _NAVIGATION if signed.actor.role in roles]
    page = (
        environment(locale)
        .get_template(template)
        .render(
            request=request,
            path=request.url.path,
            signed=signed,
            csrf_token=signed.csrf_token if signed is not None else "",
            navigation=navigation,
            refresh_seconds=_refresh_seconds(request),
            **(context or {}),
        )
    )
    return HTMLResponse(page, status_code=status_code, headers=dict(headers or {}))


def _refresh_seconds(request: Request) -> int:
    """How often live parts of a page ask again (``live_refresh_seconds``; 30 outside an app)."""
    settings = getattr(request.app.state, "settings", None)
    return int(getattr(settings, "live_refresh_seconds", 30))
