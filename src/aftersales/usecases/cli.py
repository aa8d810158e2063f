"""``aftersales import tickets FILE.csv``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.config import get_settings
from aftersales.core.clock import SystemClock
from aftersales.core.db import unit_of_work
from aftersales.core.runtime import session_factory
from aftersales.usecases.history import import_csv

import_app = typer.Typer(help="Import history (导入).", no_args_is_help=True)


@import_app.command("tickets")
def import_tickets(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="UTF-8 CSV")],
) -> None:
    """Import tickets from a UTF-8 CSV (see README for the columns); bad rows are reported by line."""
    text = file.read_text(encoding="utf-8-sig")
    with unit_of_work(session_factory()) as session:
        report = import_csv(
            session,
            clock=SystemClock(),
            actor=SYSTEM_ACTOR,
            text=text,
            number_prefix=get_settings().ticket_number_prefix,
        )
    for line, reason in report.errors:
        typer.echo(f"line {line}: {reason}", err=True)
    typer.echo(json.dumps({"created": report.created, "skipped": report.skipped, "errors": len(report.errors)}))
    if report.errors:
        raise typer.Exit(code=1)
