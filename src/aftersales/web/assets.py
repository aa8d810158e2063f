"""What the site serves besides the console and the API: the interactive API documentation and the favicon.

``/docs`` works offline: Swagger UI comes from the vendored files in ``static/vendor`` (see its README;
refreshed by ``make vendor-swagger-ui``) and is started by ``static/js/apidocs.js`` rather than an inline
script, so the page needs nothing from the internet and runs under the site's Content-Security-Policy as is.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse

from aftersales.web.templating import render

SWAGGER_UI_VERSION = "5.35.0"
SWAGGER_JS_URL = f"/static/vendor/swagger-ui-{SWAGGER_UI_VERSION}.bundle.js"
SWAGGER_CSS_URL = f"/static/vendor/swagger-ui-{SWAGGER_UI_VERSION}.css"
# Browsers ask for /favicon.ico on their own (the pages link static/favicon.svg); drawn by tools/favicon.py.
FAVICON_ICO = Path(str(resources.files("aftersales.web") / "static" / "favicon.ico"))


def docs_page(request: Request, *, openapi_url: str, title: str) -> HTMLResponse:
    """Swagger UI for the app's OpenAPI document."""
    context = {"title": title, "openapi_url": openapi_url, "js_url": SWAGGER_JS_URL, "css_url": SWAGGER_CSS_URL}
    return render(request, "web/api_docs.html", context)
