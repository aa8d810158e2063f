"""Rate limits: the window's allowance passes, the next request gets 429 with Retry-After, the window
slides; each public form and login counts on its own."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from aftersales.web.ratelimit import Limit, RateLimiter


class Ticking:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_the_window_slides() -> None:
    clock = Ticking()
    limiter = RateLimiter(now=clock)
    limit = Limit(3, 60.0)
    assert [limiter.hit("a", limit) for _ in range(3)] == [None, None, None]
    clock.now += 10
    assert limiter.hit("a", limit) == 50  # the first hit leaves the window in 50 s
    assert limiter.hit("b", limit) is None  # another key counts on its own
    clock.now += 50
    assert limiter.hit("a", limit) is None


def _login_token(client: TestClient) -> str:
    match = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/console/login").text)
    assert match is not None
    return match.group(1)


def test_login_guesses_are_slowed_per_address_with_429(client: TestClient) -> None:
    settings = client.app.state.settings  # type: ignore[attr-defined]
    allowance = settings.rate_limit_login_per_minute
    statuses = []
    for attempt in range(allowance + 1):
        reply = client.post(
            "/console/login",
            data={"username": f"nobody{attempt}", "password": "x-guess-1", "login_csrf": _login_token(client)},
        )
        statuses.append(reply.status_code)
    assert statuses == [401] * allowance + [429]
    assert 1 <= int(reply.headers["retry-after"]) <= 60
    assert "操作过于频繁" in reply.text


def test_status_lookups_are_slowed_per_address(client: TestClient) -> None:
    allowance = client.app.state.settings.rate_limit_lookup_per_minute  # type: ignore[attr-defined]
    codes = [
        client.post("/self-service/status", data={"number": f"SH20261204-{n:06d}", "phone": "13800138000"}).status_code
        for n in range(allowance + 1)
    ]
    assert codes[-1] == 429 and 429 not in codes[:-1]
