"""Console sign-in pages: login (with lockout), logout, language switch, the home redirect by role."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from aftersales.accounts import sessions
from aftersales.accounts.deps import anyone, page
from aftersales.accounts.enums import Permission, Role
from aftersales.accounts.errors import AccountLockedError, InvalidCredentialsError
from aftersales.accounts.sessions import SignedIn
from aftersales.core.db import mark_read_only
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.i18n import normalise_locale
from aftersales.web.messages import domain_message
from aftersales.web.pages import SESSION_COOKIE, redirect
from aftersales.web.ratelimit import enforce, per_minute
from aftersales.web.templating import LOCALE_COOKIE, gettext_for, render, request_locale

router = APIRouter(prefix="/console", include_in_schema=False)
LOGIN_CSRF_COOKIE = "as_login_csrf"
HOME_BY_ROLE = {
    Role.AGENT: "/console/tickets",
    Role.DISPATCHER: "/console/board",
    Role.TECHNICIAN: "/console/jobs",
    Role.PROVIDER: "/console/board",
    Role.MANAGER: "/console/dashboard",
    Role.INSPECTOR: "/console/tickets",
    Role.ADMIN: "/console/tickets",
}


def _safe_next(value: str | None) -> str | None:
    """Only same-site console and self-service paths are followed (no open redirect)."""
    if value and value.startswith(("/console", "/self-service")) and not value.startswith("//"):
        return value
    return None


def _login_page(
    request: Request, *, next_path: str, error: str | None, username: str = "", status: int = 200
) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "accounts/login.html",
        {"next_path": next_path, "error": error, "username": username, "login_csrf": token},
        status_code=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
    return response


@router.get("/login", dependencies=[anyone("sign_in")])
def login_form(request: Request, next: str | None = None) -> Response:
    """The login page."""
    return _login_page(request, next_path=_safe_next(next) or "", error=None)


@router.post("/login", dependencies=[anyone("sign_in")])
def login(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    login_csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the password; on success set the session cookie and go to the role's home page."""
    _ = gettext_for(request)
    # Guessing is slowed per address and per account name (on top of the lockout after 5 wrong passwords).
    enforce(request, "login", per_minute(request, "rate_limit_login_per_minute"))
    enforce(request, "login-name", per_minute(request, "rate_limit_login_per_minute"), subject=username.strip().lower())
    if not sessions.csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE, ""), login_csrf):
        return _login_page(
            request, next_path=next, error=_("表单已过期，请刷新页面后重试"), username=username, status=403
        )
    if not username.strip() or not password:
        return _login_page(request, next_path=next, error=_("请输入用户名和密码"), username=username, status=422)
    try:
        # The slow part (argon2) in a read-only transaction: on SQLite nobody's save waits behind a login.
        mark_read_only(session)
        check = sessions.check_password(session, clock=clock, username=username, password=password)
        session.rollback()
        token, signed = sessions.login(session, clock=clock, check=check, locale=request_locale(request))
    except AccountLockedError as error:
        return _login_page(request, next_path=next, error=domain_message(error, _), username=username, status=423)
    except InvalidCredentialsError as error:
        commit(session)  # the failed attempt counts toward the lockout
        return _login_page(request, next_path=next, error=domain_message(error, _), username=username, status=401)
    commit(session)
    response = redirect(request, _safe_next(next) or HOME_BY_ROLE.get(signed.actor.role, "/console/tickets"))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(sessions.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(
    request: Request, session: SessionDep, clock: ClockDep, signed: Annotated[SignedIn, page(Permission.ACCOUNT_SELF)]
) -> Response:
    """End the session and forget the cookie."""
    sessions.logout(session, clock=clock, session_id=signed.session_id, actor=signed.actor)
    commit(session)
    response = redirect(request, "/console/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/language", dependencies=[anyone("sign_in")])
def language_anonymous(request: Request, locale: str, next: str | None = None) -> Response:
    """Switch language before signing in (a cookie)."""
    response = redirect(request, _safe_next(next) or "/console/login")
    response.set_cookie(LOCALE_COOKIE, normalise_locale(locale), max_age=365 * 86400, samesite="lax")
    return response


@router.post("/language")
def language(
    request: Request,
    session: SessionDep,
    signed: Annotated[SignedIn, page(Permission.ACCOUNT_SELF)],
    locale: Annotated[str, Form()],
    next: Annotated[str, Form()] = "",
) -> Response:
    """Switch the signed-in session's language."""
    chosen = normalise_locale(locale)
    sessions.set_locale(session, session_id=signed.session_id, locale=chosen)
    commit(session)
    response = redirect(request, _safe_next(next) or "/console/")
    response.set_cookie(LOCALE_COOKIE, chosen, max_age=365 * 86400, samesite="lax")
    return response


@router.get("/")
def home(signed: Annotated[SignedIn, page(Permission.ACCOUNT_SELF)], request: Request) -> Response:
    """Each role starts on its own page."""
    return redirect(request, HOME_BY_ROLE.get(signed.actor.role, "/console/tickets"))
