"""Console sign-in: login, lockout, CSRF, logout, language, redirects for anonymous visitors."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts import sessions
from aftersales.accounts import tokens as accounts_tokens
from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry, ConsoleSession, User
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.accounts.sessions import MAX_FAILED_LOGINS
from aftersales.core.clock import FrozenClock
from aftersales.core.db import READ_ONLY_OPTION
from tests.conftest import UserFactory, console_login


def _login_token(client: TestClient) -> str:
    match = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/console/login").text)
    assert match is not None
    return match.group(1)


def _try(client: TestClient, username: str, password: str) -> tuple[int, str]:
    response = client.post(
        "/console/login",
        data={"username": username, "password": password, "login_csrf": _login_token(client)},
        follow_redirects=False,
    )
    error = re.search(r'id="login-error">([^<]+)<', response.text)
    return response.status_code, error.group(1) if error else ""


def test_anonymous_visitors_are_sent_to_login_with_the_page_they_wanted(client: TestClient) -> None:
    response = client.get("/console/tickets?status=registered", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login?next=%2Fconsole%2Ftickets%3Fstatus%3Dregistered"
    htmx = client.get("/console/tickets", headers={"HX-Request": "true"}, follow_redirects=False)
    assert (htmx.status_code, htmx.headers["hx-redirect"]) == (200, "/console/login?next=%2Fconsole%2Ftickets")


def test_login_sets_an_httponly_samesite_cookie_and_goes_home_by_role(
    client: TestClient, make_user: UserFactory
) -> None:
    make_user(Role.DISPATCHER, username="disp1")
    response = client.post(
        "/console/login",
        data={"username": "disp1", "password": "secret-pass-1", "login_csrf": _login_token(client)},
        follow_redirects=False,
    )
    assert (response.status_code, response.headers["location"]) == (303, "/console/board")
    cookie = next(
        value for key, value in response.headers.multi_items() if key == "set-cookie" and "as_session=" in value
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_login_form_without_its_csrf_cookie_is_refused(client: TestClient, db: Session, make_user: UserFactory) -> None:
    make_user(Role.AGENT, username="agent9")
    _login_token(client)
    client.cookies.delete("as_login_csrf")
    response = client.post(
        "/console/login", data={"username": "agent9", "password": "secret-pass-1", "login_csrf": "x"}
    )
    assert response.status_code == 403
    assert db.scalar(select(func.count()).select_from(ConsoleSession)) == 0


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="agent7")
    for attempt in range(MAX_FAILED_LOGINS):
        assert _try(client, "agent7", f"wrong-{attempt}") == (401, "用户名或密码错误")
    assert _try(client, "agent7", "secret-pass-1") == (423, "登录失败次数过多，账户已锁定，请 15 分钟后再试")
    assert db.scalar(select(func.count()).select_from(ConsoleSession)) == 0
    assert db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "user.locked")) == 1
    clock.advance(timedelta(minutes=16))
    assert _try(client, "agent7", "secret-pass-1")[0] == 303
    user = db.scalar(select(User).where(User.username == "agent7"))
    assert user is not None and (user.failed_logins, user.locked_until) == (0, None)


def test_unknown_user_gets_the_same_message(client: TestClient) -> None:
    assert _try(client, "nobody", "whatever-1") == (401, "用户名或密码错误")


def test_posts_without_the_session_csrf_token_change_nothing(
    client: TestClient, db: Session, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="agent8")
    csrf = console_login(client, db, "agent8")
    refused = client.post("/console/logout", data={"csrf_token": "forged"})
    assert refused.status_code == 403
    assert db.scalar(select(func.count()).select_from(ConsoleSession).where(ConsoleSession.ended_at.is_not(None))) == 0
    done = client.post("/console/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/console/login")
    assert db.scalar(select(func.count()).select_from(ConsoleSession).where(ConsoleSession.ended_at.is_not(None))) == 1


def test_language_switch_renders_english(client: TestClient, db: Session, make_user: UserFactory) -> None:
    assert "登录售后服务控制台" in client.get("/console/login").text
    client.get("/console/language?locale=en&next=/console/login")
    page = client.get("/console/login").text
    assert "Sign in to the after-sales console" in page and "登录售后服务控制台" not in page


def test_an_unknown_name_costs_one_argon2_verification_like_a_wrong_password(
    client: TestClient, make_user: UserFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(Role.AGENT, username="agent10")
    verified: list[str] = []
    real = accounts_service._hasher

    class Counting:
        def verify(self, hashed: str, password: str) -> bool:
            verified.append(password)
            return real.verify(hashed, password)

        def hash(self, password: str) -> str:
            return real.hash(password)

    monkeypatch.setattr(accounts_service, "_hasher", Counting())
    assert _try(client, "nobody", "guess-1") == (401, "用户名或密码错误")
    assert _try(client, "agent10", "guess-2") == (401, "用户名或密码错误")
    assert verified == ["guess-1", "guess-2"]  # one verification each: no shortcut for unknown names


def test_the_password_is_checked_in_a_read_only_transaction(
    client: TestClient, make_user: UserFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(Role.AGENT, username="agent11")
    seen: list[object] = []
    real = sessions.check_password

    def watched(session: Session, **kwargs: Any) -> sessions.PasswordCheck:
        seen.append(session.connection().get_execution_options().get(READ_ONLY_OPTION))
        return real(session, **kwargs)

    monkeypatch.setattr(sessions, "check_password", watched)
    assert _try(client, "agent11", "secret-pass-1")[0] == 303
    assert seen == [True]


def test_a_new_password_or_a_disabled_account_signs_out_everywhere(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    _, token = make_user(Role.AGENT, username="agent12")
    console_login(client, db, "agent12")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/tickets", headers=headers).status_code == 200
    assert client.get("/console/tickets", follow_redirects=False).status_code == 200
    accounts_service.set_password(db, clock=clock, actor=SYSTEM_ACTOR, username="agent12", password="a-new-pass-2")
    db.commit()
    assert client.get("/api/v1/tickets", headers=headers).status_code == 401
    assert client.get("/console/tickets", follow_redirects=False).status_code == 303
    # Signed in again with the new password, then disabled: out again, and no new sign-in.
    assert _try(client, "agent12", "a-new-pass-2")[0] == 303
    _, second = accounts_tokens.create_token(db, clock=clock, actor=SYSTEM_ACTOR, username="agent12")
    accounts_service.set_active(db, clock=clock, actor=SYSTEM_ACTOR, username="agent12", active=False)
    db.commit()
    assert client.get("/console/tickets", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {second}"}).status_code == 401
    assert _try(client, "agent12", "a-new-pass-2") == (401, "用户名或密码错误")
    actions = db.scalars(
        select(AuditEntry.action).where(AuditEntry.action.in_(["user.password_set", "user.disabled"]))
    ).all()
    assert sorted(actions) == ["user.disabled", "user.password_set"]
