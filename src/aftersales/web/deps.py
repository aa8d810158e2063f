"""FastAPI dependencies shared by every router."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from aftersales.accounts import rules as account_rules
from aftersales.accounts import service as accounts_service
from aftersales.accounts.enums import Permission
from aftersales.accounts.schemas import Actor
from aftersales.config import Settings
from aftersales.core.clock import Clock
from aftersales.core.db import mark_read_only
from aftersales.core.errors import AuthenticationError, PermissionDeniedError


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; the route commits, anything uncommitted is rolled back.

    GET and HEAD requests only read: their transaction takes no write lock on SQLite.
    """
    session: Session = request.app.state.session_factory()
    if request.method in ("GET", "HEAD"):
        mark_read_only(session)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def get_app_settings(request: Request) -> Settings:
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
    """The actor behind the ``Authorization: Bearer`` token."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("缺少访问令牌（Authorization: Bearer <token>）")
    actor = accounts_service.authenticate_token(session, token.strip())
    if request.method not in ("GET", "HEAD"):
        # End the lookup's transaction now: FastAPI runs the route in another worker thread, and a
        # write lock held across that hand-off would queue every other writer behind a busy pool.
        session.rollback()
    return actor


CurrentActor = Annotated[Actor, Depends(get_current_actor)]


def require(actor: Actor, permission: Permission) -> None:
    """Refuse unless the actor's role carries the permission."""
    if not account_rules.has_permission(actor.role, permission):
        raise PermissionDeniedError(f"角色 {actor.role.value} 无权执行此操作（{permission.value}）")
