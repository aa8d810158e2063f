"""Jinja2 for the console: one environment per language, templates from every package's ``templates/``.

``render()`` fills the context every page needs (the signed-in user, CSRF token, language, navigation)
and returns an HTMLResponse. Filters show times in Asia/Shanghai and phone numbers masked.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

from aftersales.accounts.enums import Role
from aftersales.core.timeutil import to_local
from aftersales.customers.rules import mask_phone
from aftersales.web import labels
from aftersales.web.i18n import DEFAULT_LOCALE, LOCALE_LABELS, N_, normalise_locale, translations

# Packages that keep templates under <package>/templates/<package>/.
TEMPLATE_PACKAGES = ("web", "accounts", "usecases", "analytics", "knowledge", "dispatch", "feedback")
LOCALE_COOKIE = "as_lang"
STATIC_VERSION = "1"

# Navigation by role: (path, label, roles that see it).
NAVIGATION: tuple[tuple[str, str, frozenset[Role]], ...] = (
    (
        "/console/tickets",
        N_("工单"),
        frozenset({Role.ADMIN, Role.AGENT, Role.MANAGER, Role.INSPECTOR, Role.DISPATCHER}),
    ),
    ("/console/tickets/new", N_("新建工单"), frozenset({Role.ADMIN, Role.AGENT})),
    ("/console/board", N_("调度看板"), frozenset({Role.ADMIN, Role.DISPATCHER, Role.MANAGER, Role.PROVIDER})),
    ("/console/plans", N_("日计划"), frozenset({Role.ADMIN, Role.DISPATCHER, Role.MANAGER})),
    ("/console/visits", N_("回访"), frozenset({Role.ADMIN, Role.AGENT, Role.MANAGER})),
    ("/console/jobs", N_("我的任务"), frozenset({Role.TECHNICIAN, Role.PROVIDER})),
    ("/console/dashboard", N_("经营看板"), frozenset({Role.ADMIN, Role.MANAGER, Role.INSPECTOR})),
)


def format_local(value: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time as Asia/Shanghai text ('' for None)."""
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
    env.filters["mask_phone"] = mask_phone
    env.globals["label"] = labels.label
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
        navigation = [(path, text) for path, text, roles in NAVIGATION if signed.actor.role in roles]
    page = (
        environment(locale)
        .get_template(template)
        .render(
            request=request,
            path=request.url.path,
            signed=signed,
            csrf_token=signed.csrf_token if signed is not None else "",
            navigation=navigation,
            **(context or {}),
        )
    )
    return HTMLResponse(page, status_code=status_code, headers=dict(headers or {}))
