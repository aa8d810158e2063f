"""Shared fixtures: a migrated test database (SQLite file, or PostgreSQL when
AFTERSALES_TEST_DATABASE_URL is set), a session per test inside a rolled-back transaction, a frozen
clock, an API client bound to that transaction, and factories for users and tokens."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, exc, select, text
from sqlalchemy.orm import Session, sessionmaker

from aftersales.accounts import service as accounts_service
from aftersales.accounts import tokens as accounts_tokens
from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import SYSTEM_ACTOR, Actor
from aftersales.app import create_app
from aftersales.config import Settings
from aftersales.core import migrate, timeutil
from aftersales.core.clock import FrozenClock
from aftersales.core.db import make_engine, make_session_factory, unit_of_work
from aftersales.db_models import Base
from aftersales.sla.defaults import seed_defaults
from aftersales.tickets.models import TicketEvent
from aftersales.triage.defaults import seed_rules
from aftersales.web.notes import render_note

SHANGHAI = ZoneInfo("Asia/Shanghai")
SEED_TABLES = {"sla_calendars", "sla_calendar_days", "sla_policies", "triage_intake_rules", "alembic_version"}


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware datetime in Asia/Shanghai."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def wait_for_lines(path: Path, count: int, *, timeout: float = 60.0) -> list[str]:
    """The words of ``path`` once it holds ``count`` of them (bounded wait: a spawned child needs seconds
    to start and write)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = path.read_text().split() if path.exists() else []
        if len(lines) >= count:
            return lines
        time.sleep(0.02)
    raise AssertionError(f"{path} has fewer than {count} lines")


def _reset_schema(engine: Engine) -> None:
    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        if connection.dialect.name == "postgresql":
            # The audit log's guard (migration 0016) outlives its table: a second run would fail to create it.
            connection.execute(text("DROP FUNCTION IF EXISTS audit_log_append_only() CASCADE"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("AFTERSALES_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """A database migrated from empty by the real Alembic migrations, with the seeded defaults."""
    engine = make_engine(database_url)
    _reset_schema(engine)
    migrate.upgrade(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        seed_defaults(session)
        seed_rules(session)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(local(2026, 11, 22, 10, 0))


@pytest.fixture
def connection(engine: Engine) -> Iterator[object]:
    connection = engine.connect()
    transaction = connection.begin()
    yield connection
    transaction.rollback()
    connection.close()


@pytest.fixture(autouse=True)
def _keyed_notes_say_what_is_stored(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every timeline note a test writes with a message key (``web.notes``) renders in Chinese to exactly
    the note stored beside it, so the English console shows the same message. Checked on the test's
    connection before its transaction is rolled back."""
    if "connection" not in request.fixturenames:
        yield
        return
    connection = request.getfixturevalue("connection")  # torn down after this fixture
    yield
    assert isinstance(connection, Connection)
    if connection.closed or not connection.in_transaction():
        return
    try:
        rows = connection.execute(
            select(TicketEvent.type, TicketEvent.note, TicketEvent.data).where(TicketEvent.data.is_not(None))
        ).all()
    except exc.DBAPIError:  # the test left the transaction failed; nothing to read
        return
    rendered = [
        (event_type, note, render_note(data["note_key"], data.get("note_params") or {}, str))
        for event_type, note, data in rows
        if isinstance(data, dict) and "note_key" in data
    ]
    assert [row for row in rendered if row[1] != row[2]] == []


@pytest.fixture
def session_factory(connection: object) -> sessionmaker[Session]:
    """Sessions joined to the test's outer transaction: their commits are savepoints, rolled back after."""
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)  # type: ignore[call-overload]


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    session = session_factory()
    yield session
    session.close()


UserFactory = Callable[..., tuple[Actor, str]]


@pytest.fixture
def make_user(db: Session, clock: FrozenClock) -> UserFactory:
    """Create a user with a token; returns (actor, token)."""
    counter = iter(range(1, 10_000))

    def factory(role: Role = Role.AGENT, *, username: str | None = None, **kwargs: object) -> tuple[Actor, str]:
        name = username or f"{role.value}{next(counter):03d}"
        user = accounts_service.create_user(
            db,
            clock=clock,
            actor=SYSTEM_ACTOR,
            username=name,
            role=role,
            password="secret-pass-1",
            **kwargs,  # type: ignore[arg-type]
        )
        _, token = accounts_tokens.create_token(db, clock=clock, actor=SYSTEM_ACTOR, username=name)
        db.commit()
        return accounts_service.actor_for(user), token

    return factory


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Dispatch decisions run in the request thread right after the commit: the test connection is shared.
    return Settings(
        database_url=database_url,
        run_jobs_in_process=False,
        secret_key="test-signing-key",
        dispatch_in_background=False,
    )


@pytest.fixture
def client(settings: Settings, clock: FrozenClock, session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    app = create_app(settings, clock=clock, session_factory=session_factory)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def agent(make_user: UserFactory) -> tuple[Actor, str]:
    return make_user(Role.AGENT, username="agent_t")


@pytest.fixture
def auth(agent: tuple[Actor, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {agent[1]}"}


def wipe(engine: Engine) -> None:
    """Delete every non-seed row (for tests that must really commit)."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Triggers off for this transaction only: the audit log refuses deletes (migration 0016).
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in SEED_TABLES:
                connection.execute(table.delete())


@pytest.fixture
def committed_engine(engine: Engine) -> Iterator[Engine]:
    """The shared engine for tests that commit for real; every non-seed row is deleted afterwards."""
    wipe(engine)
    yield engine
    wipe(engine)


def ticket_body(**overrides: object) -> dict[str, object]:
    """A valid create-ticket body."""
    body: dict[str, object] = {
        "channel": "hotline",
        "customer": {
            "name": "张三",
            "phone": "13800138000",
            "address": "广东省深圳市南山区科技园南区高新南七道1号",
        },
        "product": {"model": "YL-S7", "serial_number": "SN-0001"},
        "description": "指纹锁识别失败，需要上门维修",
    }
    body.update(overrides)
    return body


@pytest.fixture
def tmp_sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture(scope="session", autouse=True)
def _test_environment() -> Iterator[None]:
    """Settings built by tests (and the CLI they invoke) run in test mode, whatever the shell says."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AFTERSALES_ENV", "test")
        # Computation stays in the test's own process (tests/core/test_offload.py covers the child process).
        patch.setenv("AFTERSALES_OFFLOAD_COMPUTATION", "false")
        yield


@pytest.fixture(autouse=True)
def _default_local_zone() -> Iterator[None]:
    """Every test starts and ends with the default local zone (the app factory and the CLI configure it)."""
    timeutil.reset_local_zone()
    yield
    timeutil.reset_local_zone()


@pytest.fixture(autouse=True)
def _rules_only_triage(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Triage answers by the rules alone unless a test is marked ``shipped_model``: what other capabilities'
    tests expect must not move each time the shipped model is retrained (tests/triage/test_shipped.py and
    the browser journeys, whose server runs as shipped, cover the model)."""
    from aftersales.triage import learning

    if request.node.get_closest_marker("shipped_model") is None:
        monkeypatch.setattr(learning, "USE_SHIPPED_MODEL", False)


@pytest.fixture(autouse=True)
def _fresh_rule_cache() -> Iterator[None]:
    """Each test starts with the intake rules read from its own database state."""
    from aftersales.knowledge.service import reset_index
    from aftersales.triage.learning import invalidate_model_cache
    from aftersales.triage.service import invalidate_rules_cache

    invalidate_model_cache()
    invalidate_rules_cache()
    reset_index()  # each test's rolled-back articles must not linger in the in-memory search index
    yield
    invalidate_rules_cache()
    invalidate_model_cache()
    reset_index()


def console_login(client: TestClient, db: Session, username: str, password: str = "secret-pass-1") -> str:
    """Sign in through the console's login form; returns the session's CSRF token (for POSTs)."""
    import hashlib
    import re

    from sqlalchemy import select

    from aftersales.accounts.models import ConsoleSession

    page = client.get("/console/login")
    match = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
    assert match is not None, page.text
    response = client.post(
        "/console/login",
        data={"username": username, "password": password, "login_csrf": match.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    digest = hashlib.sha256(client.cookies["as_session"].encode()).hexdigest()
    csrf = db.scalar(select(ConsoleSession.csrf_token).where(ConsoleSession.token_hash == digest))
    assert csrf is not None
    return csrf


def race(factory: sessionmaker[Session], attempts: list[Callable[[Session], object]]) -> list[str]:
    """Run each attempt in its own thread and unit of work, all released at once; returns what each ended
    with: "ok", or the code (domain errors) or class name of what it raised."""
    barrier = threading.Barrier(len(attempts))

    def run(attempt: Callable[[Session], object]) -> str:
        barrier.wait(timeout=30)
        try:
            with unit_of_work(factory) as session:
                attempt(session)
        except Exception as error:
            return str(getattr(error, "code", type(error).__name__))
        return "ok"

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        return list(pool.map(run, attempts))


@contextmanager
def served(application: Any, *, stop_timeout: float = 30.0) -> Iterator[str]:
    """Serve ``application`` with uvicorn on a free loopback port in a thread; yields its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=stop_timeout)
