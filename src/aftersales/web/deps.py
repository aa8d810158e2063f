"""FastAPI dependencies shared by every router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from aftersales.config import Settings
from aftersales.core.background import BackgroundRunner, InlineRunner
from aftersales.core.clock import Clock
from aftersales.core.db import mark_read_only


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


def json_response(model: BaseModel, status_code: int = 200) -> Response:
    """Serialise a reply model here, in the route's worker thread (FastAPI would hand a sync route's
    return value to the thread pool a second time just to serialise it)."""
    return Response(content=model.model_dump_json(), media_type="application/json", status_code=status_code)


async def after_commit(runner: BackgroundRunner | InlineRunner) -> None:
    """Hand follow-up work (a dispatch decision) to the process's runner once the route has committed:
    a background runner is only woken; an inline one runs in a worker thread, never on the event loop."""
    if runner.is_inline:
        await run_in_threadpool(runner.kick)
    else:
        runner.kick()
