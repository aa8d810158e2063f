"""`aftersales triage models`: going back to the model shipped in the package keeps the trained versions."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select
from typer.testing import CliRunner

from aftersales.cli import app
from aftersales.core.clock import FrozenClock
from aftersales.core.db import make_session_factory, unit_of_work
from aftersales.triage.models import TriageModelVersion
from tests.factories import triage as triage_factories


def _versions(engine: Engine) -> list[tuple[int, bool]]:
    with unit_of_work(make_session_factory(engine)) as session:
        rows = session.execute(select(TriageModelVersion.version, TriageModelVersion.is_active).order_by("version"))
        return [(version, active) for version, active in rows]


def test_use_shipped_stops_the_trained_version_and_refuses_twice(cli_db: Engine, runner: CliRunner) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    with unit_of_work(make_session_factory(cli_db)) as session:
        triage_factories.model_version(session, clock=FrozenClock(datetime(2026, 12, 5, 8, 0, tzinfo=UTC)))
    assert _versions(cli_db) == [(1, True)]

    done = runner.invoke(app, ["triage", "models", "use-shipped"])
    assert done.exit_code == 0, done.output
    assert done.output.strip() == "active: shipped model (was v1)"
    assert _versions(cli_db) == [(1, False)]

    again = runner.invoke(app, ["triage", "models", "use-shipped"])
    assert again.exit_code == 1 and "triage.shipped_model_in_use" in again.output
    assert _versions(cli_db) == [(1, False)]
    back = runner.invoke(app, ["triage", "models", "activate", "1"])
    assert back.exit_code == 0 and _versions(cli_db) == [(1, True)]
