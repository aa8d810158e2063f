"""``aftersales triage`` commands: the intake rules."""

from __future__ import annotations

from typing import Annotated

import typer

from aftersales.core.db import unit_of_work
from aftersales.core.errors import DomainError
from aftersales.core.runtime import session_factory
from aftersales.triage import service as triage_service

app = typer.Typer(help="Triage (分诊) rules.", no_args_is_help=True)
rules_app = typer.Typer(help="Intake keyword rules.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


@rules_app.command("list")
def list_rules() -> None:
    """Print the rules in evaluation order."""
    with unit_of_work(session_factory()) as session:
        for rule in triage_service.list_rules(session):
            typer.echo(
                f"{rule.position}\t{rule.name}\tkind={rule.kind or '-'}\tpriority={rule.priority or '-'}\t"
                f"{'、'.join(rule.keywords)}"
            )


@rules_app.command("add")
def add_rule(
    name: Annotated[str, typer.Option()],
    keyword: Annotated[list[str], typer.Option(help="repeat for several")],
    kind: Annotated[str | None, typer.Option()] = None,
    priority: Annotated[str | None, typer.Option()] = None,
    position: Annotated[int, typer.Option()] = 100,
) -> None:
    """Add a rule."""
    try:
        with unit_of_work(session_factory()) as session:
            triage_service.add_rule(
                session, name=name, keywords=keyword, kind=kind, priority=priority, position=position
            )
    except DomainError as error:
        typer.echo(f"error: {error.code}: {error.detail}", err=True)
        raise typer.Exit(1) from None
    typer.echo("ok")


@rules_app.command("remove")
def remove_rule(name: Annotated[str, typer.Option()]) -> None:
    """Remove a rule."""
    try:
        with unit_of_work(session_factory()) as session:
            triage_service.delete_rule(session, name=name)
    except DomainError as error:
        typer.echo(f"error: {error.code}: {error.detail}", err=True)
        raise typer.Exit(1) from None
    typer.echo("ok")
