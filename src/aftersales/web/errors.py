"""Map domain errors and validation failures to problem JSON ({"code", "detail", "fields"}) for the API, and to
the error page or HTMX fragment for console, self-service and survey paths. Those paths also answer an
unknown address with an HTML 404 page, and an unexpected failure with an HTML 500 page that shows a
reference instead of the traceback (which goes to the log under that reference)."""

from __future__ import annotations

import logging
import secrets
import sqlite3
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aftersales.core.db import is_busy_error
from aftersales.core.errors import DomainError, RateLimitedError
from aftersales.web.messages import problem_detail, problem_fields
from aftersales.web.pages import STATUS_BY_CLASS, error_page, home_of, is_html_path, message_page, status_of
from aftersales.web.templating import gettext_for, render

__all__ = [
    "PROBLEM_RESPONSES",
    "STATUS_BY_CLASS",
    "HtmlServerErrors",
    "Problem",
    "install_error_handlers",
    "problem",
    "status_of",
]

log = logging.getLogger("aftersales.web")


class Problem(BaseModel):
    """Every error of the JSON API: a stable code, the message (Chinese), and per-field messages."""

    code: str
    detail: str
    fields: dict[str, Any]


# What any API operation may answer besides its success, documented once for every route (the handlers
# below produce exactly this shape).
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": description}
    for status, description in (
        (400, "a body that is not valid JSON (or form data)"),
        (401, "no or invalid token"),
        (403, "not allowed for this role, owner or token scope"),
        (404, "not found, or not visible to the caller"),
        (409, "conflict: stale version, invalid transition, already decided"),
        (413, "request body over the limit"),
        (422, "invalid input, with the fields named"),
        (429, "rate limited (see Retry-After)"),
        (503, "busy database, try again (see Retry-After)"),
    )
}

BUSY_RETRY_AFTER_SECONDS = 5
# Codes for what the framework refuses before a route runs.
HTTP_CODES = {400: "request.malformed", 404: "request.no_such_path", 405: "request.method_not_allowed"}
HTTP_TEXTS = {400: "请求内容无法解析（须为合法的 JSON 或表单）", 404: "没有这个接口", 405: "此接口不支持该请求方法"}
# numeric value out of range, datetime field overflow, invalid datetime format
OUT_OF_RANGE_SQLSTATES = {"22003", "22008", "22007"}


def problem(status: int, code: str, detail: str, fields: dict[str, Any] | None = None) -> JSONResponse:
    """A problem JSON response."""
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        status_code=status, content={"code": code, "detail": detail, "fields": fields or {}}, headers=headers
    )


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(part) for part in loc if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "invalid"))
    return message.removeprefix("Value error, ")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on the app (and the HTML 500 page: added before the security headers, so its
    answer carries them too)."""
    app.add_middleware(HtmlServerErrors)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, error: DomainError) -> Response:
        status = status_of(error)
        response = (
            error_page(request, error, status)
            if is_html_path(request.url.path)
            else problem(status, error.code, problem_detail(error), problem_fields(error))
        )
        if isinstance(error, RateLimitedError):
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> Response:
        if is_html_path(request.url.path):  # a console form the page itself would not send
            _ = gettext_for(request)
            return message_page(request, _("提交的内容有误，请检查后重试"), 422)
        fields: dict[str, str] = {}
        for item in error.errors():
            fields.setdefault(_field_name(tuple(item.get("loc", ()))), _message(item))
        detail = "；".join(f"{name}: {message}" for name, message in fields.items())
        return problem(422, "request.invalid", f"请求内容有误：{detail}", fields)

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, _error: StaleDataError) -> Response:
        if is_html_path(request.url.path):
            _ = gettext_for(request)
            return message_page(request, _("记录已被他人修改，请刷新后重试"), 409)
        return problem(409, "ticket.version_conflict", "记录已被他人修改，请刷新后重试")

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeoutError)
    @app.exception_handler(sqlite3.OperationalError)  # raised bare by the SQLite write gate
    async def _busy(request: Request, error: Exception) -> Response:
        if not is_busy_error(error):
            raise error
        # A lock or a connection not obtained in time: nothing was written; the caller may simply retry.
        _ = gettext_for(request)
        text = _("系统繁忙，请稍后重试")
        headers = {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)}
        if is_html_path(request.url.path):
            response = message_page(request, text, 503)
            response.headers.update(headers)
            return response
        return JSONResponse(status_code=503, content={"code": "db.busy", "detail": text, "fields": {}}, headers=headers)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(request: Request, error: Exception) -> Response:
        # The last line of defence: schemas bound the values they know; a number or date that still does
        # not fit the database is the request's fault, and nothing was written.
        if isinstance(error, DataError) and getattr(error.orig, "sqlstate", None) not in OUT_OF_RANGE_SQLSTATES:
            raise error
        _ = gettext_for(request)
        text = _("提交的数值超出允许范围")
        if is_html_path(request.url.path):
            return message_page(request, text, 422)
        return problem(422, "request.out_of_range", text)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        # Raised by the framework itself (a body that does not parse, an unknown path or method): the API
        # answers in its own problem shape, console paths (and a browser anywhere else) with a page.
        if is_html_path(request.url.path) or _browser_outside_api(request):
            return _http_page(request, error)
        if not request.url.path.startswith("/api/"):
            return await http_exception_handler(request, error)
        code = HTTP_CODES.get(error.status_code, "request.refused")
        response = problem(error.status_code, code, HTTP_TEXTS.get(error.status_code, str(error.detail)))
        for name, value in (error.headers or {}).items():
            response.headers[name] = value
        return response


def _browser_outside_api(request: Request) -> bool:
    """A page request (a browser asks for HTML) for a path that is neither the API nor a static file."""
    path = request.url.path
    return not path.startswith(("/api/", "/static/")) and "text/html" in request.headers.get("accept", "")


def _http_page(request: Request, error: StarletteHTTPException) -> Response:
    _ = gettext_for(request)
    if error.status_code == 404:
        response = message_page(
            request, _("您访问的页面不存在：地址可能有误，或页面已移走。"), 404, heading=_("页面不存在")
        )
    elif error.status_code == 405:
        response = message_page(request, _("此页面不支持该请求方法"), 405)
    else:
        response = message_page(request, _("提交的内容有误，请检查后重试"), error.status_code)
    for name, value in (error.headers or {}).items():
        response.headers[name] = value
    return response


class HtmlServerErrors:
    """An unexpected exception on a console, self-service or survey path: logged with its traceback under a
    short reference, and answered with the 500 page that shows only the reference. Other paths (the API)
    keep the framework's plain 500, and a failure after the answer has begun is left to the server."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_html_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            if started:
                raise
            reference = secrets.token_hex(4)
            log.exception("unhandled error %s on %s %s", reference, scope["method"], scope["path"])
            response = _server_error_page(Request(scope), reference)
            await response(scope, receive, send)


def _server_error_page(request: Request, reference: str) -> Response:
    _ = gettext_for(request)
    message = _("系统出现意外错误，请稍后重试；如果问题持续，请把下面的错误编号告诉管理员。")
    context = {
        "status": 500,
        "message": message,
        "heading": _("系统出错了"),
        "reference": reference,
        "home": home_of(request),
    }
    try:
        return render(request, "web/error.html", context, status_code=500)
    except Exception:  # the page itself failed (a broken template or session): still no traceback to the user
        log.exception("the 500 page for %s failed", reference)
        return Response(f"500 Internal Server Error ({reference})", status_code=500, media_type="text/plain")
