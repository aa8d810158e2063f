"""Refusals before any route runs: a request body over the size limit (413) and NUL characters in a query
string, form or JSON body (422; PostgreSQL cannot store them and would drop the connection). Pure ASGI:
the body is counted as it arrives and held only up to the limit."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

TEXT_BODIES = (b"application/json", b"application/x-www-form-urlencoded", b"text/")


def _problem(status: int, code: str, detail: str) -> bytes:
    return json.dumps({"code": code, "detail": detail, "fields": {}}, ensure_ascii=False).encode()


class RequestGuard:
    """Size limit and NUL check for every HTTP request."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        query: bytes = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query:
            await self._refuse(send, 422, "request.nul_character", "请求中不能包含空字符（NUL）")
            return
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._refuse(send, 413, "request.too_large", self._too_large())
            return
        body = await self._read(receive)
        if body is None:
            await self._refuse(send, 413, "request.too_large", self._too_large())
            return
        content_type = headers.get(b"content-type", b"").lower()
        if content_type.startswith(TEXT_BODIES) and (b"\\u0000" in body or b"%00" in body or b"\x00" in body):
            await self._refuse(send, 422, "request.nul_character", "请求中不能包含空字符（NUL）")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body (held to check it, then handed on), or None once it passes the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _too_large(self) -> str:
        return f"请求内容过大（上限 {self.max_body_bytes // (1024 * 1024)} MB）"

    @staticmethod
    async def _refuse(send: Send, status: int, code: str, detail: str) -> None:
        content = _problem(status, code, detail)
        headers: list[Any] = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(content)).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})


# Scripts and styles only from this site (the console's scripts are vendored files, bound by data
# attributes); inline style attributes are allowed, inline scripts and handlers are not. Pages cannot be
# framed (clickjacking), types are not sniffed, and other sites see no path in the referrer.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"geolocation=(self), camera=(self), microphone=()"),
)


class SecurityHeaders:
    """The security headers above on every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in SECURITY_HEADERS if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)
