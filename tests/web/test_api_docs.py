"""``/docs`` needs no internet: the page and everything it loads come from this server (vendored Swagger UI),
started without an inline script; and the favicon is answered, linked from every console page."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from aftersales.web import assets

VENDOR = Path(assets.__file__).parent / "static" / "vendor"


def _references(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_the_docs_page_references_only_this_server(client: TestClient) -> None:
    response = client.get("/docs")
    assert (response.status_code, response.headers["content-type"]) == (200, "text/html; charset=utf-8")
    references = _references(response.text)
    assert references == [
        "/static/favicon.svg",
        assets.SWAGGER_CSS_URL,
        "/static/css/apidocs.css?v=1",  # colour overrides that meet WCAG AA contrast
        assets.SWAGGER_JS_URL,
        "/static/js/apidocs.js?v=1",
        "/openapi.json",
    ]
    assert 'data-openapi-url="/openapi.json"' in response.text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.text)  # no inline script for the CSP to block
    for reference in references:
        loaded = client.get(reference)
        assert loaded.status_code == 200, reference
    assert (
        client.get(assets.SWAGGER_JS_URL)
        .headers["content-type"]
        .startswith(("text/javascript", "application/javascript"))
    )


def test_the_vendored_swagger_ui_is_recorded_with_its_licence() -> None:
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    assert f"`swagger-ui-dist@{assets.SWAGGER_UI_VERSION}`" in readme and "Apache-2.0" in readme
    assert (
        (VENDOR / "swagger-ui.LICENSE")
        .read_text(encoding="utf-8")
        .startswith("\n                                 Apache License")
    )
    assert sorted(path.name for path in VENDOR.glob("swagger-ui*")) == [
        f"swagger-ui-{assets.SWAGGER_UI_VERSION}.bundle.js",
        f"swagger-ui-{assets.SWAGGER_UI_VERSION}.css",
        "swagger-ui.LICENSE",
        "swagger-ui.NOTICE",
        "swagger-ui.THIRD-PARTY.txt",
    ]


def test_the_cdn_pages_are_gone(client: TestClient) -> None:
    assert client.get("/redoc").status_code == 404
    assert "cdn" not in client.get("/docs").text.lower()


def test_the_favicon_is_answered_and_linked(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert (icon.status_code, icon.headers["content-type"]) == (200, "image/vnd.microsoft.icon")
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an .ico file
    svg = client.get("/static/favicon.svg")
    assert (svg.status_code, svg.headers["content-type"]) == (200, "image/svg+xml")
    login = client.get("/console/login")
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in login.text
