"""``aftersales import tickets FILE.csv``; ``aftersales customers export|erase --phone …``."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer

from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.config import get_settings
from aftersales.core.clock import SystemClock
from aftersales.core.db import unit_of_work
from aftersales.core.runtime import session_factory
from aftersales.usecases import privacy
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


customers_app = typer.Typer(help="Customers' personal-information requests (个人信息).", no_args_is_help=True)


@customers_app.command("export")
def export_customer(
    phone: Annotated[str, typer.Option(help="the customer's phone")],
    out: Annotated[Path | None, typer.Option(help="write the JSON here (default: print it)")] = None,
) -> None:
    """Export everything held about a customer as JSON (audited)."""
    with unit_of_work(session_factory()) as session:
        data = privacy.export_customer(session, clock=SystemClock(), actor=SYSTEM_ACTOR, phone=phone)
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"exported to {out}")


@customers_app.command("erase")
def erase_customer(
    phone: Annotated[str, typer.Option(help="the customer's phone")],
    yes: Annotated[bool, typer.Option("--yes", help="erase without asking")] = False,
) -> None:
    """Erase a customer's personal data; the work orders stay for the statistics (audited)."""
    if not yes:
        typer.confirm("This replaces the customer's name, phone, addresses and texts for good. Continue?", abort=True)
    with unit_of_work(session_factory()) as session:
        erasure = privacy.erase_customer(session, clock=SystemClock(), actor=SYSTEM_ACTOR, phone=phone)
    typer.echo(json.dumps(dataclasses.asdict(erasure)))
