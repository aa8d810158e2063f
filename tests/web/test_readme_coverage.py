"""Every API capability in the README is either reachable on a console page or marked API-only with a
reason, and the README's API table lists exactly the API routes the app serves."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute, _IncludedRouter

from aftersales.app import create_app
from aftersales.config import Settings

README = Path(__file__).resolve().parents[2] / "README.md"
API_PREFIX = "/api/v1"
METHODS = r"(?:GET|POST|PUT|PATCH|DELETE)(?:/(?:GET|POST|PUT|PATCH|DELETE))*"
ENDPOINT = re.compile(rf"^({METHODS}) (/[^\s?`]*)")
SCREEN = re.compile(r"`(/(?:console|self-service|survey)[^\s?`]*)")
API_ONLY = re.compile(r"^API only: (.{12,})$")


def _normal(path: str) -> str:
    """A path template with its parameter names dropped: `/tickets/{id}` and `/tickets/{ticket_id}` agree."""
    return re.sub(r"\{[^}]*\}", "{}", path.rstrip("/") or "/")


def _routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, _IncludedRouter):
            yield from _routes(route.original_router.routes)
        elif isinstance(route, APIRoute):
            yield route


def _served(settings: Settings) -> tuple[set[tuple[str, str]], set[str]]:
    """(method, path) of every API route; paths of every GET page (console, self-service, survey)."""
    api: set[tuple[str, str]] = set()
    pages: set[str] = set()
    for route in _routes(create_app(settings).routes):
        for method in route.methods:
            if route.path.startswith(API_PREFIX):
                api.add((method, _normal(route.path.removeprefix(API_PREFIX))))
            elif method == "GET":
                pages.add(_normal(route.path))
    return api, pages


def api_table(text: str) -> list[tuple[list[tuple[str, str]], list[str], str]]:
    """Rows of the README's API table: (endpoints, console pages, the console cell's text)."""
    section = text.split("## API (under `/api/v1`", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        assert len(cells) == 3, f"an API row needs three cells (route, what, console): {line[:80]}"
        endpoints = []
        for code in re.findall(r"`([^`]+)`", cells[0]):
            found = ENDPOINT.match(code)
            if found:
                endpoints += [(method, _normal(found.group(2))) for method in found.group(1).split("/")]
        rows.append((endpoints, [_normal(page) for page in SCREEN.findall(cells[2])], cells[2]))
    return rows


@pytest.fixture
def served(settings: Settings) -> tuple[set[tuple[str, str]], set[str]]:
    return _served(settings)


def test_the_readme_lists_exactly_the_api_routes_the_app_serves(
    served: tuple[set[tuple[str, str]], set[str]],
) -> None:
    api, _ = served
    documented = {endpoint for endpoints, _, _ in api_table(README.read_text()) for endpoint in endpoints}
    assert len(api) >= 80
    assert sorted(api - documented) == []  # served but not in the README
    assert sorted(documented - api) == []  # in the README but not served


def test_every_api_capability_has_a_console_page_or_says_why_not(
    served: tuple[set[tuple[str, str]], set[str]],
) -> None:
    _, pages = served
    problems = []
    for endpoints, screens, cell in api_table(README.read_text()):
        if screens:
            problems += [(endpoints[0], page) for page in screens if page not in pages]
        elif not API_ONLY.match(cell):
            problems.append((endpoints[0], f"neither a page nor 'API only: <reason>': {cell!r}"))
    assert problems == [], "\n".join(f"{endpoint}: {problem}" for endpoint, problem in problems)


def test_the_check_catches_a_missing_page_and_a_missing_reason() -> None:
    text = (
        "## API (under `/api/v1`, x)\n\n| a | b | c |\n|---|---|---|\n"
        "| `GET /things/{id}` | a thing | `/console/things/{thing_id}` |\n"
        "| `POST/PUT /things` | make one | API only: integrations push things in bulk |\n"
        "| `DELETE /things/{id}` | remove | nothing here |\n\n## Next\n"
    )
    rows = api_table(text)
    assert [row[0] for row in rows] == [
        [("GET", "/things/{}")],
        [("POST", "/things"), ("PUT", "/things")],
        [("DELETE", "/things/{}")],
    ]
    assert [row[1] for row in rows] == [["/console/things/{}"], [], []]
    assert [bool(API_ONLY.match(row[2])) for row in rows] == [False, True, False]
