"""Commands refused by a domain rule print ``错误 [code]: detail`` and the fields on stderr, exit 1, change nothing."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from aftersales.accounts.models import ApiToken, User
from aftersales.cli import app
from aftersales.core.db import make_session_factory, unit_of_work
from aftersales.sla.models import Calendar


def _counts(engine: Engine) -> tuple[int, int, list[list[int] | None]]:
    with unit_of_work(make_session_factory(engine)) as session:
        return (
            session.scalar(select(func.count()).select_from(User)) or 0,
            session.scalar(select(func.count()).select_from(ApiToken)) or 0,
            list(session.scalars(select(Calendar.known_years).order_by(Calendar.id))),
        )


def test_domain_errors_are_reported_the_same_way_everywhere(cli_db: Engine, runner: CliRunner) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    create = ["users", "create", "--username", "agent7", "--role", "agent", "--password", "pass-word-1"]
    assert runner.invoke(app, create).exit_code == 0
    before = _counts(cli_db)

    duplicate = runner.invoke(app, create)
    assert (duplicate.exit_code, duplicate.stdout) == (1, "")
    assert duplicate.stderr == "错误 [user.exists]: 用户 agent7 已存在\n  username: agent7\n"

    ghost = runner.invoke(app, ["tokens", "create", "--username", "ghost"])
    assert (ghost.exit_code, ghost.stdout) == (1, "")
    assert ghost.stderr == "错误 [user.not_found]: 用户 ghost 不存在\n  username: ghost\n"

    # Used to end in a traceback: an unknown calendar is a domain error like any other.
    calendar = runner.invoke(app, ["sla", "mark-year", "--code", "nowhere", "--year", "2027"])
    assert (calendar.exit_code, calendar.stdout) == (1, "")
    assert calendar.stderr == "错误 [sla.calendar_not_found]: 日历 nowhere 不存在\n  calendar: nowhere\n"

    assert _counts(cli_db) == before
