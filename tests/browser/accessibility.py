"""axe-core (npm, `package.json`) over every page the browser tests visit.

While a test runs, :class:`Recorder` keeps each HTML document its pages load (the response body as served,
with the cookies and the viewport of its context). Once the test has passed, every document is shown again
in a fresh context of the same kind and axe-core checks it; a critical or serious violation fails the test.
Replaying the served document (its scripts, styles and later requests still go to the live server) checks
what the person saw, also for a one-time link already used up or a form re-rendered with its errors.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("critical", "serious")
SHOWN_TARGETS = 3
# Headers of the recorded response not replayed: the body is kept decoded, and no cookie is set twice.
DROPPED_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding", "set-cookie"})
RUN_AXE = """async () => {
    const results = await axe.run(document, {resultTypes: ["violations"]});
    return results.violations.map((rule) => ({
        id: rule.id,
        impact: rule.impact,
        help: rule.help,
        targets: rule.nodes.map((node) => node.target.join(" ")),
    }));
}"""


def missing_axe_message() -> str | None:
    """Why the check cannot run (axe-core not installed), or None."""
    if AXE_SCRIPT.is_file():
        return None
    return (
        f"axe-core is not installed ({AXE_SCRIPT} is missing): the browser tests check every page with it. "
        "Run `npm ci` at the repository root (`make unit` and `make test` do)."
    )


@dataclass(frozen=True)
class Violation:
    """One axe rule broken on one page, with the first few elements it names."""

    rule: str
    impact: str
    url: str
    targets: tuple[str, ...]
    count: int
    help: str

    def __str__(self) -> str:
        more = f" (+{self.count - len(self.targets)} more)" if self.count > len(self.targets) else ""
        return f"{self.rule} [{self.impact}] {self.url}: {self.help} — {', '.join(self.targets)}{more}"


def serious_violations(page: Any, *, url: str | None = None) -> list[Violation]:
    """Run axe-core on ``page`` as it is now: its critical and serious violations."""
    if page.evaluate("() => typeof window.axe === 'undefined'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    found = page.evaluate(RUN_AXE)
    return [
        Violation(
            rule=rule["id"],
            impact=rule["impact"],
            url=url or page.url,
            targets=tuple(rule["targets"][:SHOWN_TARGETS]),
            count=len(rule["targets"]),
            help=rule["help"],
        )
        for rule in found
        if rule["impact"] in BLOCKING
    ]


@dataclass(frozen=True)
class Document:
    """An HTML document a test's page loaded, as served."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes | None  # None: it could not be kept, the address is opened again
    options: dict[str, Any]
    cookies: list[Any]


class Recorder:
    """The documents the current test's pages load; :meth:`check` runs axe-core over each of them."""

    def __init__(self) -> None:
        self.documents: dict[tuple[int, str, int], Document] = {}
        self._pages: list[Any] = []
        self._pending = 0

    def reset(self) -> None:
        """Forget the previous test's pages."""
        self.documents.clear()
        self._pages.clear()

    def watch(self, page: Any, options: dict[str, Any]) -> None:
        """Record the documents ``page`` (opened with the context ``options``) and its popups load."""
        index = len(self._pages)
        self._pages.append(page)
        page.on("response", lambda response: self._record(index, page, response, options))
        page.on("popup", lambda popup: self.watch(popup, options))
        close = page.close

        def close_once_recorded(*args: Any, **kwargs: Any) -> Any:
            self._drain(page)
            return close(*args, **kwargs)

        page.close = close_once_recorded

    def _record(self, index: int, page: Any, response: Any, options: dict[str, Any]) -> None:
        if not response.request.is_navigation_request() or response.frame != page.main_frame:
            return
        headers = response.headers
        if not response.url.startswith(("http://", "https://")) or 300 <= response.status < 400:
            return
        if "text/html" not in headers.get("content-type", "") or "attachment" in headers.get("content-disposition", ""):
            return  # exports (xlsx, csv) and other non-HTML answers
        self._pending += 1
        try:
            body: bytes | None = response.body()
            cookies = page.context.cookies()
        except Exception:  # the page went on (or was closed) first: the address is opened again instead
            body, cookies = None, []
        finally:
            self._pending -= 1
        # One document per page, address and status: the last one, i.e. the state the journey left it in
        # (a survey link answered once, then refused, is two documents).
        self.documents[(index, response.url, response.status)] = Document(
            url=response.url,
            status=response.status,
            headers={name: value for name, value in headers.items() if name not in DROPPED_HEADERS},
            body=body,
            options=options,
            cookies=cookies,
        )

    def _drain(self, page: Any) -> None:
        """Let the recordings under way finish (the test may close the page the moment it has loaded)."""
        for _ in range(500):
            page.wait_for_timeout(10)  # runs Playwright's queued events, i.e. the response listeners
            if not self._pending:
                return

    def check(self, browser: Any) -> list[Violation]:
        """Show each recorded document again (same viewport and cookies) and run axe-core on it."""
        still_open = [page for page in self._pages if not page.is_closed()]
        if still_open:
            self._drain(still_open[0])
        found: list[Violation] = []
        for document in self.documents.values():
            # Same viewport and device as the journey; CSP bypassed for the check's own (inline) script only.
            context = browser.new_context(**{**document.options, "bypass_csp": True})
            try:
                if document.cookies:
                    context.add_cookies(document.cookies)
                page = context.new_page()
                if document.body is not None:
                    page.route(lambda url, wanted=document.url: url == wanted, _replayer(document))
                page.goto(document.url, timeout=10_000)
                _settle(page)
                found.extend(serious_violations(page, url=document.url))
            finally:
                context.close()
        return found


def _replayer(document: Document) -> Any:
    """A route handler serving ``document`` again to the page's navigation (and nothing else)."""

    def replay(route: Any) -> None:
        if route.request.is_navigation_request():
            route.fulfill(status=document.status, headers=document.headers, body=document.body)
        else:
            route.fallback()

    return replay


def _settle(page: Any) -> None:
    """Let the page's own requests (HTMX loads, charts) finish, for at most a moment."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    # A page that polls may never be idle: then check what it shows by now.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_load_state("networkidle", timeout=2000)


def report(violations: list[Violation]) -> str:
    """The failure message: every violation, one per line."""
    lines = [f"axe-core: {len(violations)} critical or serious accessibility violation(s):"]
    lines += [f"  {violation}" for violation in violations]
    return "\n".join(lines)
