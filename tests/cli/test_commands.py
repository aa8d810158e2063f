"""The public CLI surface: db upgrade, users, tokens, sla sweep, import tickets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from aftersales.accounts import service as accounts_service
from aftersales.accounts import tokens as accounts_tokens
from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.cli import app
from aftersales.config import get_settings
from aftersales.core import migrate
from aftersales.core.clock import FrozenClock, SystemClock
from aftersales.core.db import make_session_factory, unit_of_work
from aftersales.feedback.models import ReturnVisit
from aftersales.notifications.models import OutboxMessage
from aftersales.tickets.enums import Priority, TicketKind
from aftersales.tickets.models import Ticket, TicketEvent, TicketNumberSequence
from tests import factories


def _upgrade(runner: CliRunner) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"database at {migrate.head_revision()}" in result.output


def test_db_upgrade_is_idempotent(cli_db: Engine, runner: CliRunner) -> None:
    _upgrade(runner)
    _upgrade(runner)
    assert runner.invoke(app, ["db", "current"]).output.strip() == migrate.head_revision() == "0025"


def test_users_and_tokens(cli_db: Engine, runner: CliRunner) -> None:
    _upgrade(runner)
    result = runner.invoke(
        app, ["users", "create", "--username", "agent7", "--role", "agent", "--password", "pass-word-1"]
    )
    assert result.exit_code == 0, result.output
    prompted = runner.invoke(
        app, ["users", "create", "--username", "mgr7", "--role", "manager"], input="pass-word-2\npass-word-2\n"
    )
    assert prompted.exit_code == 0, prompted.output
    token = runner.invoke(app, ["tokens", "create", "--username", "agent7"])
    assert token.exit_code == 0
    lines = token.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("as_") and len(lines[0]) > 30
    with unit_of_work(make_session_factory(cli_db)) as session:
        assert accounts_tokens.authenticate_token(session, lines[0], now=SystemClock().now()).username == "agent7"
        assert accounts_service.verify_password(session, username="mgr7", password="pass-word-2").role == Role.MANAGER
    assert (
        runner.invoke(app, ["users", "create", "--username", "x", "--role", "wizard", "--password", "p" * 9]).exit_code
        != 0
    )
    duplicate = runner.invoke(
        app, ["users", "create", "--username", "agent7", "--role", "agent", "--password", "p" * 9]
    )
    assert duplicate.exit_code == 1 and "user.exists" in duplicate.output
    assert runner.invoke(app, ["tokens", "create", "--username", "ghost"]).exit_code == 1


def test_sla_sweep_breaches_a_backdated_ticket_once(
    cli_db: Engine, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    _upgrade(runner)
    factory = make_session_factory(cli_db)
    # The command runs on a clock starting at a fixed instant (test mode allows it), not the wall clock.
    now = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    monkeypatch.setenv("AFTERSALES_CLOCK_START", now.isoformat())
    get_settings.cache_clear()
    with unit_of_work(factory) as session:
        accounts_service.create_user(
            session, clock=FrozenClock(now), actor=SYSTEM_ACTOR, username="boss", role=Role.MANAGER
        )
        # Registered three days ago: the clock of that moment, so nothing is swept at creation.
        ticket_id = factories.ticket(
            session,
            clock=FrozenClock(now - timedelta(days=3)),
            kind=TicketKind.REPAIR,
            priority=Priority.URGENT,
            reported_at=now - timedelta(days=3),
        ).id
    first = runner.invoke(app, ["sla", "sweep"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["breaches"] == 3
    for _ in range(2):
        assert json.loads(runner.invoke(app, ["sla", "sweep"]).output) == {
            "targets_checked": 0,
            "warnings": 0,
            "breaches": 0,
            "tickets_changed": 0,
        }
    with unit_of_work(factory) as session:
        assert session.get(Ticket, ticket_id).sla_state == "breached"  # type: ignore[union-attr]
        breaches = session.scalar(
            select(func.count())
            .select_from(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.type == "sla_breached")
        )
        escalations = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.ticket_id == ticket_id, OutboxMessage.kind == "sla_escalation")
        )
    assert (breaches, escalations) == (3, 1)


CSV = """external_id,channel,kind,priority,customer_name,phone,address,product_model,serial_number,purchase_date,description,reported_at,contacted_at,checked_in_at,resolved_at,visited_at,closed_at
H-1,hotline,repair,routine,张三,13800138000,广东省深圳市南山区科技园1号,YL-S7,SN-1,2025-01-01,指纹识别失败,2026-09-01 09:00,2026-09-01 09:20,2026-09-01 13:00,2026-09-01 15:00,2026-09-02 10:00,2026-09-02 10:05
H-2,web,,,李四,12345,北京市朝阳区建国路88号,,,,门锁没电了,2026-09-02 10:00,,,,,
H-3,app,installation,routine,王五,13912345678,上海市浦东新区张江路100号,YL-F3,,,需要安装,2026-09-03 10:00,2026-09-03 09:00,,,,
H-4,hotline,consultation,routine,赵六,13700000001,,,,,请问怎么改密码,not-a-date,,,,,
H-5,hotline,complaint,complex,孙七,13600000002,杭州市西湖区文三路90号,,,,投诉师傅迟到,2026-09-04 08:00,2026-09-04 08:10,,,,
H-1,hotline,repair,routine,张三,13800138000,,,,,重复导入,2026-09-01 09:00,,,,,
H-6,hotline,repair,routine,周八,13500000003,广东省深圳市福田区福华路1号,YL-S7,SN-6,2025-01-01,门锁坏了,2026-09-05 09:00,2026-09-05 09:10,,2026-09-05 12:00,,
"""


def test_import_keeps_good_rows_and_reports_bad_ones(cli_db: Engine, runner: CliRunner, tmp_path: Path) -> None:
    _upgrade(runner)
    file = tmp_path / "history.csv"
    file.write_text(CSV, encoding="utf-8")
    result = runner.invoke(app, ["import", "tickets", str(file)])
    assert result.exit_code == 1
    assert json.loads(result.output.strip().splitlines()[-1]) == {"created": 2, "skipped": 1, "errors": 4}
    assert "line 3: customer.phone" in result.output
    assert "line 4: ticket.invalid" in result.output  # contact before report: refused whole
    assert "line 5: reported_at" in result.output
    assert "line 8: ticket.check_in_required" in result.output  # an on-site result without its visit
    with unit_of_work(make_session_factory(cli_db)) as session:
        tickets = {t.external_id: t for t in session.scalars(select(Ticket))}
        assert sorted(tickets) == ["H-1", "H-5"]
        assert tickets["H-1"].status == "closed" and tickets["H-1"].number == "SH20260901-000001"
        assert tickets["H-5"].status == "in_progress" and tickets["H-5"].number == "SH20260904-000001"
        # The refused installation row left no trace: no ticket, no event, no number used up.
        assert (
            session.scalar(select(TicketNumberSequence.last_value).where(TicketNumberSequence.day == "20260903"))
            is None
        )
        events = [
            e.type
            for e in session.scalars(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == tickets["H-1"].id)
                .order_by(TicketEvent.at, TicketEvent.id)
            )
        ]
        assert events == ["register", "contact", "check_in", "result", "return_visit", "close"]
        # The 回访 is a (past) return visit: one call that reached the customer.
        visit = session.scalars(select(ReturnVisit).where(ReturnVisit.ticket_id == tickets["H-1"].id)).one()
        assert (visit.status, visit.attempts, visit.completed_at) == (
            "done",
            1,
            tickets["H-1"].closed_at - timedelta(minutes=5),
        )
    again = runner.invoke(app, ["import", "tickets", str(file)])
    assert json.loads(again.output.strip().splitlines()[-1]) == {"created": 0, "skipped": 3, "errors": 4}


def test_import_refuses_a_file_with_a_bad_header(cli_db: Engine, runner: CliRunner, tmp_path: Path) -> None:
    _upgrade(runner)
    file = tmp_path / "bad.csv"
    file.write_text("name,phone\n张三,13800138000\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "tickets", str(file)])
    assert result.exit_code == 1 and "line 1:" in result.output


def test_worker_once_runs_the_sweep(cli_db: Engine, runner: CliRunner) -> None:
    _upgrade(runner)
    result = runner.invoke(app, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines() == [
        "sla_sweep: SweepReport(targets_checked=0, warnings=0, breaches=0, tickets_changed=0)",
        "dispatch: DispatchReport(decided=0, failed=0)",
        "hot_issues: {'assigned': 0, 'batches': 0, 'alerts': 0}",
        "dashboard_rollups: {'redone': 0, 'rolled_up': 0}",
        "notifications: {'sent': 0, 'retrying': 0, 'failed': 0, 'internal': 0, 'suppressed': 0, 'postponed': 0, 'lease_lost': 0}",
        "feedback: {'visits_scheduled': 0, 'promise_alerts': 0}",
    ]


def test_worker_loop_stops_when_told(cli_db: Engine, runner: CliRunner) -> None:
    import threading

    from aftersales.config import Settings
    from aftersales.core.clock import SystemClock
    from aftersales.worker import start_in_thread

    _upgrade(runner)
    settings = Settings(database_url=str(cli_db.url), sweep_interval_seconds=0.05)
    thread, stop = start_in_thread(make_session_factory(cli_db), SystemClock(), settings)
    assert isinstance(thread, threading.Thread) and thread.is_alive()
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_analytics_rollup_runs_passes_until_nothing_is_left(cli_db: Engine, runner: CliRunner) -> None:
    _upgrade(runner)
    result = runner.invoke(app, ["analytics", "rollup", "--pause", "0"])
    assert result.exit_code == 0, result.output
    first, totals = (json.loads(line) for line in result.output.strip().splitlines())
    assert first == {"redone": 0, "rolled_up": 0}  # no tickets: no dates
    assert {key: totals[key] for key in ("passes", "redone", "rolled_up")} == {"passes": 1, "redone": 0, "rolled_up": 0}
    refused = runner.invoke(app, ["analytics", "rollup", "--pause", "-1"])
    assert refused.exit_code == 2 and "greater than or equal to 0" in refused.output
