"""Stored files (ticket photos, signatures) as HTTP responses, shared by the API and the console."""

from __future__ import annotations

from fastapi.responses import Response

_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def file_response(*, data: bytes, content_type: str, name: str) -> Response:
    """The bytes shown inline with their stored type, never sniffed as another type, cached privately."""
    extension = _EXTENSIONS.get(content_type, "bin")
    return Response(
        content=data,
        media_type=content_type,
        headers={
            "Content-Disposition": f'inline; filename="{name}.{extension}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=3600",
        },
    )
