"""Map domain errors and validation failures to problem JSON: {"code", "detail", "fields"}."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm.exc import StaleDataError

from aftersales.core.errors import (
    AuthenticationError,
    ConflictError,
    DomainError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from aftersales.web.pages import error_page, is_html_path

STATUS_BY_CLASS: list[tuple[type[DomainError], int]] = [
    (InvalidInputError, 422),
    (NotFoundError, 404),
    (ConflictError, 409),
    (PermissionDeniedError, 403),
    (AuthenticationError, 401),
]


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
    """Register the handlers on the app."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, error: DomainError) -> Response:
        status = next((code for cls, code in STATUS_BY_CLASS if isinstance(error, cls)), 400)
        if is_html_path(request.url.path):
            return error_page(request, error, status)
        return problem(status, error.code, error.detail, error.fields)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, error: RequestValidationError) -> JSONResponse:
        fields: dict[str, str] = {}
        for item in error.errors():
            fields.setdefault(_field_name(tuple(item.get("loc", ()))), _message(item))
        detail = "；".join(f"{name}: {message}" for name, message in fields.items())
        return problem(422, "request.invalid", f"请求内容有误：{detail}", fields)

    @app.exception_handler(StaleDataError)
    async def _stale(_request: Request, _error: StaleDataError) -> JSONResponse:
        return problem(409, "ticket.version_conflict", "记录已被他人修改，请刷新后重试")
