"""``aftersales analytics`` commands: roll up the dashboard's dates now (after an upgrade or an import)."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from aftersales.analytics import jobs
from aftersales.config import get_settings
from aftersales.core.runtime import clock_for, session_factory

app = typer.Typer(help="Dashboard analytics (经营分析).", no_args_is_help=True)


@app.command("rollup")
def rollup(
    pause: Annotated[float, typer.Option(min=0.0, max=60.0, help="seconds between two dates")] = jobs.PAUSE_SECONDS,
) -> None:
    """Roll up every date that needs it, pass after pass, as the worker would over many passes: one line of
    JSON per pass, then the totals."""
    settings, factory, clock = get_settings(), session_factory(), clock_for()
    began = time.perf_counter()
    totals = {"passes": 0, "redone": 0, "rolled_up": 0}
    while True:
        report = jobs.rollup_job(factory, clock, settings, pause=lambda _seconds: time.sleep(pause))
        typer.echo(json.dumps(report))
        totals["passes"] += 1
        totals["redone"] += report["redone"]
        totals["rolled_up"] += report["rolled_up"]
        if report["redone"] + report["rolled_up"] < jobs.ROLLUP_DAYS_PER_PASS:
            break
    typer.echo(json.dumps(totals | {"seconds": round(time.perf_counter() - began, 1)}))
