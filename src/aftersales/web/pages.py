"""What every console route shares: the signed-in user from the session cookie, CSRF checks, and the
handlers that turn "not signed in" into a redirect and domain errors into an error page or fragment.

A console form runs its unit of work inside ``form_errors``: a domain error rolls the session back and
the form (or the HTMX fragment) is drawn again with the message and the error's status. HTMX swaps
4xx answers (``htmx-config`` in ``web/base.html``), so a fragment sent with 409 or 422 is shown.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aftersales.core.errors import (
    AuthenticationError,
    ConflictError,
    DomainError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
)
from aftersales.core.i18n import Gettext
from aftersales.web.messages import domain_message, field_messages
from aftersales.web.templating import gettext_for, render

SESSION_COOKIE = "as_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
HTML_PREFIXES = ("/console", "/self-service", "/survey")
MESSAGES_TARGET = "#messages"  # the page's message area (web/base.html)
STATUS_BY_CLASS: list[tuple[type[DomainError], int]] = [
    (InvalidInputError, 422),
    (NotFoundError, 404),
    (ConflictError, 409),
    (PermissionDeniedError, 403),
    (AuthenticationError, 401),
    (RateLimitedError, 429),
]


class LoginRequiredError(Exception):
    """No live console session: the browser is sent to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfError(Exception):
    """A state-changing console request without the session's CSRF token."""


def is_htmx(request: Request) -> bool:
    """True for requests sent by HTMX (they get fragments, and redirects as HX-Redirect)."""
    return request.headers.get("hx-request") == "true"


def redirect(request: Request, url: str) -> Response:
    """A redirect that also works for HTMX requests."""
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def is_html_path(path: str) -> bool:
    """Console and self-service paths answer with pages, not problem JSON."""
    return path.startswith(HTML_PREFIXES)


def status_of(error: DomainError) -> int:
    """The HTTP status of a domain error (by its class; 400 for the bare base class)."""
    return next((status for cls, status in STATUS_BY_CLASS if isinstance(error, cls)), 400)


def message_page(
    request: Request, message: str, status: int, *, target: str = MESSAGES_TARGET, heading: str | None = None
) -> HTMLResponse:
    """A message on its own: the error page (under ``heading``, else "could not complete the request"), or
    for HTMX a fragment swapped into ``target`` (a form's message area; the page's by default) whatever the
    request's own target was."""
    context = {"status": status, "message": message, "heading": heading, "reference": None, "home": home_of(request)}
    if is_htmx(request):
        headers = {"HX-Retarget": target, "HX-Reswap": "innerHTML"}
        return render(request, "web/error_fragment.html", context, status_code=status, headers=headers)
    return render(request, "web/error.html", context, status_code=status)


def home_of(request: Request) -> str | None:
    """Where an error page sends the reader back to: the console, the self-service start (customers), or
    nowhere for a survey link (a customer with no other page)."""
    path = request.url.path
    if path.startswith("/self-service"):
        return "/self-service/request"
    return None if path.startswith("/survey") else "/console/"


def error_page(request: Request, error: DomainError, status: int, *, target: str = MESSAGES_TARGET) -> HTMLResponse:
    """A domain error as a page (or as a fragment for HTMX, shown in ``target``)."""
    return message_page(request, domain_message(error, gettext_for(request)), status, target=target)


class FormRefused(Exception):
    """A console form refused by a domain error, with the response that shows it (see ``form_errors``)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


Redraw = Callable[[DomainError, int], Response]


@contextmanager
def form_errors(
    request: Request, session: Session, redraw: Redraw | None = None, *, target: str = MESSAGES_TARGET
) -> Iterator[None]:
    """Run a console form's unit of work. A domain error raised inside rolls the session back and the
    request is answered with the error's status: ``redraw(error, status)`` draws the form, page or HTMX
    fragment again with the message (the route knows which); without it, the message alone (``message_page``
    into ``target``). A ``NotFoundError`` is not the form's fault and goes on to the app's handler."""
    try:
        yield
    except NotFoundError:
        raise
    except DomainError as error:
        session.rollback()
        status = status_of(error)
        response = redraw(error, status) if redraw is not None else error_page(request, error, status, target=target)
        raise FormRefused(response) from error


def versioned_redraw(
    draw: Callable[..., Response],
    *,
    values: dict[str, str],
    conflict_code: str,
    newer: Callable[[], dict[str, Any]],
    _: Gettext,
) -> Redraw:
    """The ``redraw`` of a form saved over the version it was opened at: a version conflict (``conflict_code``)
    shows the newer save (``newer()``, with its ``version``) and takes that version into the form, so saving
    again is a decision, not an accident; an invalid input marks its fields. ``draw(values=, errors=,
    message=, conflict=, status=)`` draws the form over what is stored now."""

    def redraw(error: DomainError, status: int) -> Response:
        conflict = None
        if error.code == conflict_code:
            conflict = newer()
            values["version"] = str(conflict["version"])
        fields = field_messages(error, _) if isinstance(error, InvalidInputError) else {}
        message = domain_message(error, _)
        return draw(values=values, errors=fields, message=message, conflict=conflict, status=status)

    return redraw


def install_console_handlers(app: FastAPI) -> None:
    """Login redirects, CSRF refusals, refused forms, and the Server-Timing header on console pages."""

    @app.exception_handler(LoginRequiredError)
    async def _login(request: Request, error: LoginRequiredError) -> Response:
        return redirect(request, f"/console/login?next={quote(error.next_path, safe='')}")

    @app.exception_handler(CsrfError)
    async def _csrf(request: Request, _error: CsrfError) -> Response:
        _ = gettext_for(request)
        return message_page(request, _("表单已过期，请刷新页面后重试"), 403)

    @app.exception_handler(FormRefused)
    async def _refused(_request: Request, refused: FormRefused) -> Response:
        return refused.response

    app.add_middleware(ServerTimingMiddleware)


class ServerTimingMiddleware:
    """Adds ``Server-Timing: app;dur=<ms>`` to console and self-service responses (read by the benchmark)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_html_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()

        async def send_with_timing(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed = (time.perf_counter() - began) * 1000
                headers: list[Any] = list(message.get("headers", []))
                headers.append((b"server-timing", f"app;dur={elapsed:.1f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_timing)
