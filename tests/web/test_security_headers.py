"""Every response carries the security headers: API, console pages, static files and early refusals."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from aftersales.web.guard import CONTENT_SECURITY_POLICY

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "aftersales"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/healthz"),
        ("GET", "/console/login"),
        ("GET", "/static/js/console.js"),
        ("GET", "/api/v1/tickets"),  # 401
        ("GET", "/api/v1/tickets?q=%00"),  # refused before any route
    ],
)
def test_security_headers_on_every_response(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY and "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert (
        response.headers["x-content-type-options"],
        response.headers["x-frame-options"],
        response.headers["referrer-policy"],
    ) == ("nosniff", "DENY", "same-origin")


def test_no_template_has_an_inline_script_or_handler() -> None:
    """The policy blocks them: behaviour lives in static/js, bound by data attributes."""
    offenders = []
    for template in TEMPLATES.rglob("templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        if re.search(r"\son[a-z]+=", text) or re.search(
            r"<script(?![^>]*\b(src|type=\"application/json\"))[^>]*>", text
        ):
            offenders.append(template.name)
    assert offenders == []
