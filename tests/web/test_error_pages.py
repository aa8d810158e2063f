"""Console, self-service and survey paths answer as pages, never with raw JSON: an unknown address gets the
404 page in the console's layout (Chinese, or English by the language cookie), an unexpected failure the 500
page with a reference and no traceback (the traceback goes to the log). The API keeps its problem JSON."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from aftersales.app import create_app
from aftersales.config import Settings
from aftersales.core.clock import FrozenClock
from aftersales.web.guard import CONTENT_SECURITY_POLICY

NOT_FOUND_TEXT = "您访问的页面不存在：地址可能有误，或页面已移走。"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@pytest.mark.parametrize(
    ("path", "home"),
    [
        ("/console/no-such-page", "/console/"),
        ("/console/tickets/12/no-such-tab", "/console/"),
        ("/self-service/no-such-page", "/self-service/request"),
        ("/survey/a-token/extra", None),
    ],
)
def test_an_unknown_page_answers_the_html_404_page(client: TestClient, path: str, home: str | None) -> None:
    response = client.get(path)
    assert (response.status_code, response.headers["content-type"]) == (404, "text/html; charset=utf-8")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    text = _text(response.text)
    assert "页面不存在（404）" in text and NOT_FOUND_TEXT in text
    assert '<header class="top">' in response.text  # the console's layout
    assert ("返回首页" in text) is (home is not None)
    if home is not None:
        assert f'<a href="{home}">返回首页</a>' in response.text


def test_the_404_page_in_english(client: TestClient) -> None:
    client.cookies.set("as_lang", "en")
    response = client.get("/console/no-such-page")
    assert response.status_code == 404
    text = _text(response.text)
    assert "Page not found（404）" in text
    assert "The page you asked for does not exist: the address may be wrong, or the page has moved." in text


def test_a_wrong_method_on_a_console_path_answers_a_page_with_allow(client: TestClient) -> None:
    response = client.delete("/console/login")
    assert (response.status_code, response.headers["content-type"]) == (405, "text/html; charset=utf-8")
    assert response.headers["allow"].startswith("GET")  # (Starlette names the first matching route's methods)
    assert "此页面不支持该请求方法" in response.text


def test_a_browser_anywhere_outside_the_api_gets_the_page_other_clients_json(client: TestClient) -> None:
    page = client.get("/no-such-page", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert (page.status_code, page.headers["content-type"]) == (404, "text/html; charset=utf-8")
    assert "页面不存在" in page.text
    other = client.get("/no-such-page")
    assert (other.status_code, other.json()) == (404, {"detail": "Not Found"})
    missing_file = client.get("/static/no-such-file.js", headers={"Accept": "text/html"})
    assert (missing_file.status_code, missing_file.headers["content-type"]) == (404, "application/json")


def test_the_api_keeps_problem_json(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-thing", headers={"Accept": "text/html"})
    assert (response.status_code, response.headers["content-type"]) == (404, "application/json")
    assert response.json() == {"code": "request.no_such_path", "detail": "没有这个接口", "fields": {}}


class Boom(RuntimeError):
    """A failure nobody handles."""


@pytest.fixture
def failing_app(settings: Settings, clock: FrozenClock, session_factory: sessionmaker[Session]) -> FastAPI:
    """The app with two routes that fail unexpectedly: a console page and an API operation."""
    app = create_app(settings, clock=clock, session_factory=session_factory)

    def fail() -> None:
        raise Boom("secret internals: table tickets column 42")

    app.add_api_route("/console/failing", fail, methods=["GET"])
    app.add_api_route("/api/v1/failing", fail, methods=["GET"])
    return app


@pytest.fixture
def failing_client(failing_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(failing_app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_an_unexpected_failure_on_a_console_page_answers_the_500_page_and_logs_the_traceback(
    failing_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="aftersales.web"):
        response = failing_client.get("/console/failing")
    assert (response.status_code, response.headers["content-type"]) == (500, "text/html; charset=utf-8")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    text = _text(response.text)
    assert "系统出错了（500）" in text
    assert "系统出现意外错误，请稍后重试；如果问题持续，请把下面的错误编号告诉管理员。" in text
    reference = re.search(r'id="error-reference">错误编号：<code>([0-9a-f]{8})</code>', response.text)
    assert reference is not None
    assert "secret internals" not in response.text and "Traceback" not in response.text and "Boom" not in response.text
    [record] = [r for r in caplog.records if r.name == "aftersales.web"]
    assert record.getMessage() == f"unhandled error {reference.group(1)} on GET /console/failing"
    assert record.exc_info is not None and record.exc_info[0] is Boom


def test_an_unexpected_failure_in_the_api_stays_a_plain_500(failing_client: TestClient) -> None:
    response = failing_client.get("/api/v1/failing")
    assert (response.status_code, response.text) == (500, "Internal Server Error")
