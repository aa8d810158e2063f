"""Browser tests: a real server on a demo database, driven by Playwright through Debian's Chromium.

Skipped when no Chromium is installed, unless AFTERSALES_REQUIRE_BROWSER=1 (set by .ci/run), in which
case a missing browser fails the run. With AFTERSALES_SCREENSHOTS=DIR the tests also save the
screenshots used in docs/console.md (`make screenshots`). Every page a test visits is checked with axe-core
(`node_modules/`, `npm ci`) once the test has passed: a critical or serious violation fails it (accessibility.py).

No journey reads the wall clock: the demo is loaded as of :data:`BROWSER_NOW` and the server runs on a
clock that starts at that instant (time still passes, so sessions and ordering behave). Set
AFTERSALES_BROWSER_NOW (ISO 8601 with an offset) to walk the same journeys at another hour or day.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from aftersales.app import create_app
from aftersales.config import Settings
from aftersales.core.clock import RunningClock
from aftersales.core.db import make_engine
from tests.browser import accessibility
from tests.conftest import served

DEMO_TICKETS = 150
DEMO_DAYS = 14
# A Wednesday mid-morning in Beijing, no holiday near: technicians on shift, tomorrow a working day.
BROWSER_NOW = "2026-11-25T10:00:00+08:00"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
    if _chromium() is None:
        if os.environ.get("AFTERSALES_REQUIRE_BROWSER") == "1":
            raise pytest.UsageError(
                "AFTERSALES_REQUIRE_BROWSER=1 but no chromium is installed (apt-get install chromium)"
            )
        skip = pytest.mark.skip(reason="chromium is not installed (apt-get install chromium fonts-noto-cjk)")
        for item in items:
            if "tests/browser" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_now() -> datetime:
    """The instant the journeys run at: :data:`BROWSER_NOW`, or AFTERSALES_BROWSER_NOW when set."""
    text = os.environ.get("AFTERSALES_BROWSER_NOW") or BROWSER_NOW
    try:
        at = datetime.fromisoformat(text)
    except ValueError as error:
        raise pytest.UsageError(f"AFTERSALES_BROWSER_NOW={text!r} is not an ISO 8601 time") from error
    if at.tzinfo is None:
        raise pytest.UsageError(f"AFTERSALES_BROWSER_NOW={text!r} needs an offset, e.g. +08:00")
    return at


@pytest.fixture(scope="session")
def browser_clock(browser_now: datetime) -> RunningClock:
    """The server's clock (and the tests' own view of "now"): starts at the instant, then runs."""
    return RunningClock(browser_now)


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory: pytest.TempPathFactory, browser_now: datetime) -> str:
    """A SQLite database with the demo data set (a smaller one), loaded by the real CLI as of the instant."""
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'demo.db'}"
    env = os.environ | {"AFTERSALES_DATABASE_URL": url}
    cli = [str(Path(sys.executable).parent / "aftersales")]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run(
        [*cli, "demo", "--tickets", str(DEMO_TICKETS), "--days", str(DEMO_DAYS), "--now", browser_now.isoformat()],
        env=env,
        check=True,
        capture_output=True,
    )
    return url


@pytest.fixture(scope="session")
def demo_engine(demo_url: str) -> Iterator[Engine]:
    """For checking what the browser did."""
    engine = make_engine(demo_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def server(demo_url: str, browser_clock: RunningClock) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port (jobs off: the tests control time-dependent state)."""
    app = create_app(
        Settings(
            database_url=demo_url,
            run_jobs_in_process=False,
            secret_key="browser-signing-key",
            inbox_poll_seconds=1,  # open pages ask for new messages every second: the inbox journey waits less
            live_refresh_seconds=1,  # and refresh SLA countdowns every second (the live SLA journey)
        ),
        clock=browser_clock,
    )
    with served(app, stop_timeout=10) as base:
        yield base


# Messages of the pages' consoles that report a Content-Security-Policy violation (an inline script or
# handler the policy blocked): every journey must end with none.
CSP_VIOLATIONS: list[str] = []


# The documents the current test's pages load, checked with axe-core once it has passed.
ACCESSIBILITY = accessibility.Recorder()


class _WatchedBrowser:
    """The browser, with every new page's console watched for CSP violations and its documents recorded."""

    def __init__(self, chromium: Any) -> None:
        self._chromium = chromium

    @property
    def unwatched(self) -> Any:
        """The browser itself: the accessibility check's own pages are neither watched nor recorded."""
        return self._chromium

    def new_page(self, **options: Any) -> Any:
        page = self._chromium.new_page(**options)
        self._watch(page, options)
        return page

    def new_context(self, **options: Any) -> Any:
        context = self._chromium.new_context(**options)
        context.on("page", lambda page: self._watch(page, options))
        return context

    @staticmethod
    def _watch(page: Any, options: dict[str, Any]) -> None:
        page.on(
            "console",
            lambda message: CSP_VIOLATIONS.append(message.text) if "Content Security Policy" in message.text else None,
        )
        ACCESSIBILITY.watch(page, options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._chromium, name)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS, headless=True)
        yield _WatchedBrowser(chromium)
        chromium.close()


@pytest.fixture(autouse=True)
def _no_csp_violations() -> Iterator[None]:
    CSP_VIOLATIONS.clear()
    yield
    assert CSP_VIOLATIONS == []


@pytest.fixture(autouse=True)
def _accessible_pages(browser: _WatchedBrowser) -> Iterator[None]:
    """Records the test's documents; :func:`pytest_runtest_call` checks them. No axe-core, no browser test."""
    problem = accessibility.missing_axe_message()
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    ACCESSIBILITY.reset()
    yield
    ACCESSIBILITY.reset()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """After a passing browser test, axe-core over every page it visited: the test fails on a serious finding."""
    result = yield  # a failing test fails for its own reason, unchecked
    browser = getattr(item, "funcargs", {}).get("browser")
    if "_accessible_pages" in getattr(item, "fixturenames", ()) and isinstance(browser, _WatchedBrowser):
        violations = ACCESSIBILITY.check(browser.unwatched)
        if violations:
            pytest.fail(accessibility.report(violations), pytrace=False)
    return result


@pytest.fixture
def screenshot() -> object:
    """save(page, name): writes DIR/name.png when AFTERSALES_SCREENSHOTS is set."""
    target = os.environ.get("AFTERSALES_SCREENSHOTS")

    def save(page: object, name: str, *, full_page: bool = False) -> None:
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=full_page)  # type: ignore[attr-defined]

    return save
