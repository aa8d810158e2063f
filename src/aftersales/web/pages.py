"""What every console route shares: the signed-in user from the session cookie, CSRF checks, and the
handlers that turn "not signed in" into a redirect and domain errors into an error page."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aftersales.core.errors import DomainError
from aftersales.web.messages import domain_message
from aftersales.web.templating import gettext_for, render

SESSION_COOKIE = "as_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
HTML_PREFIXES = ("/console", "/self-service")


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


def error_page(request: Request, error: DomainError, status: int) -> HTMLResponse:
    """A domain error as a page (or as a fragment for HTMX, shown in the page's message area)."""
    _ = gettext_for(request)
    template = "web/error_fragment.html" if is_htmx(request) else "web/error.html"
    return render(request, template, {"status": status, "message": domain_message(error, _)}, status_code=status)


def install_console_handlers(app: FastAPI) -> None:
    """Login redirects, CSRF refusals, and the Server-Timing header on console pages."""

    @app.exception_handler(LoginRequiredError)
    async def _login(request: Request, error: LoginRequiredError) -> Response:
        return redirect(request, f"/console/login?next={quote(error.next_path, safe='')}")

    @app.exception_handler(CsrfError)
    async def _csrf(request: Request, _error: CsrfError) -> Response:
        _ = gettext_for(request)
        message = _("表单已过期，请刷新页面后重试")
        return render(request, "web/error.html", {"status": 403, "message": message}, status_code=403)

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
