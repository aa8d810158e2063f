"""Who is calling: the identity dependencies of the JSON API (bearer tokens, permissions) and of the
console (the signed-in session, CSRF, page roles). They live with accounts so that ``web`` stays
plumbing that knows no domain package."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from aftersales.accounts import policy, sessions, tokens
from aftersales.accounts import rules as account_rules
from aftersales.accounts.enums import Permission
from aftersales.accounts.policy import Scope
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
    actor = tokens.authenticate_token(session, token.strip(), now=request.app.state.clock.now())
    if not account_rules.scope_allows(actor.scope, request.method, request.url.path):
        raise PermissionDeniedError(
            N_("此令牌的范围（%(scope)s）不允许此操作"), {"scope": actor.scope}, code="auth.token_scope"
        )
    return actor


CurrentActor = Annotated[Actor, Depends(get_current_actor)]


def require(actor: Actor, permission: Permission, scope: Scope | None = None) -> None:
    """Refuse unless the policy table lets the actor's role do ``permission`` (on everything, for ALL)."""
    if not policy.allows(actor.role, permission, scope):
        raise PermissionDeniedError(
            N_("角色 %(role)s 无权执行此操作（%(permission)s）"),
            {"role": actor.role.value, "permission": permission.value},
        )


@dataclass(frozen=True)
class Allowed:
    """The JSON API's gate: the bearer token's actor, refused (403) unless the policy allows ``permission``.

    Dependencies run before the request's path, query and body are validated, so a refused caller learns
    nothing about the input either."""

    permission: Permission
    scope: Scope | None = None

    def __call__(self, actor: CurrentActor) -> Actor:
        require(actor, self.permission, self.scope)
        return actor


def allowed(permission: Permission, scope: Scope | None = None) -> Any:
    """``actor: Annotated[Actor, allowed(Permission.X)]`` on an API route."""
    return Depends(Allowed(permission, scope))


@dataclass(frozen=True)
class CheckedInHandler:
    """Declares a route that checks ``permission`` itself with :func:`require`, in its own transaction
    (intake authenticates inside the group-commit writer's batch instead of a separate read)."""

    permission: Permission

    def __call__(self) -> None:
        return None


@dataclass(frozen=True)
class Anyone:
    """Declares a route open to callers who are not signed in, and for which purpose."""

    purpose: str

    def __post_init__(self) -> None:
        if self.purpose not in policy.PUBLIC_PURPOSES:
            raise ValueError(f"unknown public purpose {self.purpose!r}")

    def __call__(self) -> None:
        return None


def anyone(purpose: str) -> Any:
    """``dependencies=[anyone("self_service")]`` on a route or router open without signing in."""
    return Depends(Anyone(purpose))


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


@dataclass(frozen=True)
class Page:
    """The console's gate: the signed-in user, refused (403 page) unless the policy allows ``permission``."""

    permission: Permission
    scope: Scope | None = None

    def __call__(self, signed: ConsoleUser) -> sessions.SignedIn:
        if not policy.allows(signed.actor.role, self.permission, self.scope):
            raise PermissionDeniedError(N_("您的角色无权访问此页面"))
        return signed


def page(permission: Permission, scope: Scope | None = None) -> Any:
    """``signed: Annotated[SignedIn, page(Permission.X)]`` on a console route."""
    return Depends(Page(permission, scope))
