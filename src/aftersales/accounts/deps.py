"""Who is calling: the identity dependencies of the JSON API (bearer tokens, permissions) and of the
console (the signed-in session, CSRF, page roles). They live with accounts so that ``web`` stays
plumbing that knows no domain package."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from aftersales.accounts import rules as account_rules
from aftersales.accounts import service as accounts_service
from aftersales.accounts import sessions
from aftersales.accounts.enums import Permission, Role
from aftersales.accounts.schemas import Actor
from aftersales.core.db import mark_read_only
from aftersales.core.errors import AuthenticationError, PermissionDeniedError
from aftersales.core.i18n import N_
from aftersales.web.deps import ClockDep, SessionDep
from aftersales.web.pages import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, CsrfError, LoginRequiredError


def get_current_actor(request: Request, session: SessionDep) -> Actor:
    """The actor behind the ``Authorization: Bearer`` token.

    Sync on purpose (run in the thread pool): checking a connection out of a busy pool may wait, and
    the event loop must stay free to run the teardowns that give connections back.
    """
    if request.method in ("GET", "HEAD"):
        return authenticate(request, session)
    # The lookup only reads, and its transaction ends here: FastAPI runs the route in another worker
    # thread, and a write lock held across that hand-off would queue every writer behind a busy pool.
    mark_read_only(session)
    try:
        return authenticate(request, session)
    finally:
        session.rollback()


def authenticate(request: Request, session: Session) -> Actor:
    """Resolve the request's bearer token in the session's current (read) transaction."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError(N_("缺少访问令牌（Authorization: Bearer <token>）"))
    actor = accounts_service.authenticate_token(session, token.strip(), now=request.app.state.clock.now())
    if not account_rules.scope_allows(actor.scope, request.method, request.url.path):
        raise PermissionDeniedError(
            N_("此令牌的范围（%(scope)s）不允许此操作"), {"scope": actor.scope}, code="auth.token_scope"
        )
    return actor


CurrentActor = Annotated[Actor, Depends(get_current_actor)]


def require(actor: Actor, permission: Permission) -> None:
    """Refuse unless the actor's role carries the permission."""
    if not account_rules.has_permission(actor.role, permission):
        raise PermissionDeniedError(
            N_("角色 %(role)s 无权执行此操作（%(permission)s）"),
            {"role": actor.role.value, "permission": permission.value},
        )


async def console_user(request: Request, session: SessionDep, clock: ClockDep) -> sessions.SignedIn:
    """The signed-in console user; for anything but GET/HEAD the CSRF token must match too."""
    token = request.cookies.get(SESSION_COOKIE)
    signed = sessions.signed_in(session, clock=clock, token=token) if token else None
    if signed is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequiredError(target)
    if request.method not in ("GET", "HEAD"):
        given = request.headers.get(CSRF_HEADER)
        if given is None:
            form = await request.form()
            field = form.get(CSRF_FIELD)
            given = field if isinstance(field, str) else None
        if not sessions.csrf_matches(signed.csrf_token, given):
            raise CsrfError()
    request.state.console = signed
    return signed


ConsoleUser = Annotated[sessions.SignedIn, Depends(console_user)]


def require_role(signed: sessions.SignedIn, *roles: Role) -> None:
    """Refuse a page to roles it is not meant for (admins see everything)."""
    if signed.actor.role is not Role.ADMIN and signed.actor.role not in roles:
        raise PermissionDeniedError(N_("您的角色无权访问此页面"))
