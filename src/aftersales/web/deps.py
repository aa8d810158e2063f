"""FastAPI dependencies shared by every router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from aftersales.accounts import rules as account_rules
from aftersales.accounts import service as accounts_service
from aftersales.accounts.enums import Permission
from aftersales.accounts.schemas import Actor
from aftersales.config import Settings
from aftersales.core.clock import Clock
from aftersales.core.db import mark_read_only
from aftersales.core.errors import AuthenticationError, PermissionDeniedError


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request; the route commits, anything uncommitted is rolled back.

    GET and HEAD requests only read: their transaction takes no write lock on SQLite. (Async so that
    FastAPI does not spend two thread hand-offs on opening and closing a session.)
    """
    session: Session = request.app.state.session_factory()
    if request.method in ("GET", "HEAD"):
        mark_read_only(session)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def commit(session: Session) -> None:
    """Commit the route's unit of work; what the route reads afterwards (to build its reply) only reads.

    The session is closed by the dependency's teardown in another worker thread: a write transaction
    reopened by a post-commit read would hold SQLite's lock until a free thread runs that teardown.
    """
    session.commit()
    mark_read_only(session)


SessionDep = Annotated[Session, Depends(get_session)]
ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


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
        raise AuthenticationError("缺少访问令牌（Authorization: Bearer <token>）")
    return accounts_service.authenticate_token(session, token.strip())


CurrentActor = Annotated[Actor, Depends(get_current_actor)]


def json_response(model: BaseModel, status_code: int = 200) -> Response:
    """Serialise a reply model here, in the route's worker thread (FastAPI would hand a sync route's
    return value to the thread pool a second time just to serialise it)."""
    return Response(content=model.model_dump_json(), media_type="application/json", status_code=status_code)


def require(actor: Actor, permission: Permission) -> None:
    """Refuse unless the actor's role carries the permission."""
    if not account_rules.has_permission(actor.role, permission):
        raise PermissionDeniedError(f"角色 {actor.role.value} 无权执行此操作（{permission.value}）")
