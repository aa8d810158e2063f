"""``/docs`` in a browser cut off from the internet: Swagger UI (vendored) renders the operations and can call
one, with no request leaving this server and no Content-Security-Policy violation; an unknown console address
shows the 404 page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from aftersales.app import create_app
from aftersales.config import Settings
from aftersales.core import migrate
from aftersales.core.db import make_engine
from tests.conftest import served


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a freshly migrated database: the docs need no data (and no demo load)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('docs') / 'docs.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine, "head")
    engine.dispose()
    app = create_app(Settings(database_url=url, run_jobs_in_process=False, secret_key="browser-signing-key"))
    with served(app, stop_timeout=10) as base:
        yield base


def _offline_page(browser: Any, server: str) -> tuple[Any, list[str]]:
    """A page whose requests to anywhere but ``server`` fail (as without internet) and are listed."""
    page = browser.new_page()
    elsewhere: list[str] = []

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if url.startswith(server) or url.startswith("data:"):
            request_route.continue_()
        else:
            elsewhere.append(url)
            request_route.abort()

    page.route("**/*", route)
    return page, elsewhere


def test_the_api_docs_render_and_call_the_api_offline(browser: Any, empty_server: str) -> None:
    page, elsewhere = _offline_page(browser, empty_server)
    page.goto(f"{empty_server}/docs")
    page.locator(".opblock").first.wait_for()
    assert "Aftersales 售后服务闭环管理系统" in page.locator(".info .title").inner_text()
    paths = set(page.locator(".opblock-summary-path").evaluate_all("nodes => nodes.map(n => n.dataset.path)"))
    assert {"/api/v1/tickets", "/api/v1/tickets/{ticket_id}", "/healthz"} <= paths
    document = page.request.get(f"{empty_server}/openapi.json").json()
    operations = sum(len(item) for item in document["paths"].values())
    assert page.locator(".opblock").count() == operations  # every operation of the document, drawn
    health = page.locator(".opblock", has=page.locator(".opblock-summary-path[data-path='/healthz']"))
    health.locator(".opblock-summary").click()
    health.get_by_role("button", name="Try it out").click()
    health.get_by_role("button", name="Execute").click()
    status = health.locator(".live-responses-table tr.response .response-col_status")
    status.wait_for()
    assert status.inner_text().strip() == "200"
    assert '"status": "ok"' in health.locator(".live-responses-table .microlight").first.inner_text()
    assert elsewhere == []
    page.close()


def test_an_unknown_console_address_shows_the_404_page(browser: Any, empty_server: str) -> None:
    page, elsewhere = _offline_page(browser, empty_server)
    response = page.goto(f"{empty_server}/console/no-such-page")
    assert response is not None and response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "页面不存在（404）"
    assert page.get_by_role("alert").inner_text() == "您访问的页面不存在：地址可能有误，或页面已移走。"
    page.get_by_role("link", name="返回首页").click()
    page.wait_for_url(f"{empty_server}/console/login?next=%2Fconsole%2F")
    assert elsewhere == []
    page.close()
