"""``aftersales sla`` commands: calendars, holidays (``sla sweep`` is the tickets package's, mounted here)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from sqlalchemy import select

from aftersales.core.commandline import domain_errors
from aftersales.core.db import unit_of_work
from aftersales.core.runtime import session_factory
from aftersales.sla import service as sla_service
from aftersales.sla.models import Calendar

app = typer.Typer(help="SLA clocks (时效).", no_args_is_help=True)


@app.command("calendars")
def calendars() -> None:
    """List calendars, with years an admin must fill in (flagged)."""
    with unit_of_work(session_factory()) as session:
        for calendar in session.scalars(select(Calendar).order_by(Calendar.id)):
            flagged = calendar.flagged_years or []
            note = f"  ⚠ 需录入节假日: {', '.join(map(str, flagged))}" if flagged else ""
            typer.echo(f"{calendar.code}\t{calendar.kind}\t{calendar.name}{note}")


@app.command("set-day")
@domain_errors
def set_day(
    code: Annotated[str, typer.Option(help="calendar code")],
    day: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    hours: Annotated[list[str] | None, typer.Option(help="HH:MM-HH:MM; omit for a holiday")] = None,
    note: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Enter a holiday (no hours) or a make-up workday on a calendar."""
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        typer.echo(f"error: bad date {day!r}", err=True)
        raise typer.Exit(1) from None
    with unit_of_work(session_factory()) as session:
        sla_service.set_calendar_day(session, code=code, day=parsed, hours=hours or [], note=note)
    typer.echo("ok")


@app.command("mark-year")
@domain_errors
def mark_year(code: Annotated[str, typer.Option()], year: Annotated[int, typer.Option()]) -> None:
    """Declare a statutory calendar's holidays for a year entered (clears its flag)."""
    with unit_of_work(session_factory()) as session:
        sla_service.mark_year_known(session, code=code, year=year)
    typer.echo("ok")
