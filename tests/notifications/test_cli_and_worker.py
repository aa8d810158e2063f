"""``aftersales notifications deliver|list|retry`` on their own SQLite file; the worker runs the sender;
migration 0010 downgrades and upgrades cleanly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect
from typer.testing import CliRunner

from aftersales.cli import app
from aftersales.config import Settings, get_settings
from aftersales.core import migrate, runtime
from aftersales.core.clock import SystemClock
from aftersales.core.db import make_engine, unit_of_work
from aftersales.notifications import service as notifications_service
from aftersales.notifications.enums import Channel
from aftersales.notifications.jobs import deliver_job
from aftersales.worker import jobs
from tests.notifications.conftest import SmtpServer


@pytest.fixture
def cli_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp_server: SmtpServer) -> Iterator[Engine]:
    monkeypatch.setenv("AFTERSALES_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("AFTERSALES_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("AFTERSALES_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("AFTERSALES_SMTP_FROM", "service@example.cn")
    get_settings.cache_clear()
    runtime.engine.cache_clear()
    migrate.upgrade(runtime.engine())
    yield runtime.engine()
    runtime.engine().dispose()
    get_settings.cache_clear()
    runtime.engine.cache_clear()


def _enqueue(key: str, channel: Channel, address: str) -> None:
    with unit_of_work(runtime.session_factory()) as session:
        notifications_service.enqueue(
            session,
            clock=SystemClock(),
            kind="visit_invitation",
            dedupe_key=key,
            context={
                "ticket_number": "SH20261122-000001",
                "survey_url": "https://svc.example.cn/survey/1",
                "valid_days": 7,
            },
            channel=channel,
            recipient_address=address,
        )


def test_deliver_once_list_and_retry(cli_engine: Engine, smtp_server: SmtpServer) -> None:
    runner = CliRunner()
    _enqueue("visit_invitation:1", Channel.EMAIL, "zhang@example.cn")
    _enqueue("visit_invitation:2", Channel.EMAIL, "not-an-address")
    result = runner.invoke(app, ["notifications", "deliver", "--once"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "sent": 1,
        "retrying": 0,
        "failed": 1,
        "internal": 0,
        "suppressed": 0,
        "postponed": 0,
        "lease_lost": 0,
    }
    assert len(smtp_server.mailbox.received) == 1

    result = runner.invoke(app, ["notifications", "list", "--status", "failed"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "2\tfailed\temail\tvisit_invitation\tnot-an-address\tattempts=1\t工单 SH20261122-000001 服务评价邀请\t"
        "notifications.bad_address: not an email address: 'not-an-address'"
    ]

    _enqueue("visit_invitation:3", Channel.SMS, "13800138000")
    listing = runner.invoke(app, ["notifications", "list", "--kind", "visit_invitation"]).output
    assert "138****8000" in listing
    assert "13800138000" not in listing

    assert runner.invoke(app, ["notifications", "retry", "2"]).output == "requeued 1\n"
    missing = runner.invoke(app, ["notifications", "retry", "1", "99"])  # 1 was sent: not failed
    assert (missing.exit_code, missing.output) == (1, "requeued 0\n")
    assert runner.invoke(app, ["notifications", "list", "--status", "failed"]).output == ""


def test_the_worker_runs_the_sender(settings: Settings) -> None:
    [job] = [job for job in jobs(settings) if job.name == "notifications"]
    assert (job.interval_seconds, job.run) == (settings.notify_interval_seconds, deliver_job)


def test_migration_0010_downgrades_and_upgrades(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'migrate.db'}")
    try:
        migrate.upgrade(engine, "0010")
        config = migrate.alembic_config(engine)
        command.downgrade(config, "0009")
        assert "notification_preferences" not in inspect(engine).get_table_names()
        columns = {column["name"] for column in inspect(engine).get_columns("notification_outbox")}
        assert {"locked_until", "claim_token", "suppressed_reason"} & columns == set()
        migrate.upgrade(engine, "0010")
        columns = {column["name"] for column in inspect(engine).get_columns("notification_outbox")}
        assert {"locked_until", "claim_token", "suppressed_reason"} <= columns
        assert migrate.current(engine) == "0010"
    finally:
        engine.dispose()
