"""``aftersales knowledge``: import, export, and load the shipped seed articles."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import SystemClock
from aftersales.core.commandline import QuietOption, domain_errors
from aftersales.core.db import unit_of_work
from aftersales.core.progress import SILENT, Progress, on_stderr
from aftersales.core.runtime import session_factory
from aftersales.knowledge import service, transfer

app = typer.Typer(help="售后辞典: knowledge articles.", no_args_is_help=True)


def _import(path: Path, progress: Progress = SILENT) -> dict[str, int]:
    articles = transfer.read_file(path)
    progress.stage("知识文章 / articles", total=len(articles))
    with unit_of_work(session_factory()) as session:
        return transfer.import_articles(
            session, clock=SystemClock(), actor=SYSTEM_ACTOR, articles=articles, progress=progress
        )


@app.command("import")
@domain_errors
def import_file(path: Annotated[Path, typer.Argument(exists=True, dir_okay=False)], quiet: QuietOption = False) -> None:
    """Create or update articles from .json/.csv/.xlsx/.md (all or nothing)."""
    with on_stderr(quiet=quiet) as progress:
        counts = _import(path, progress)
    typer.echo(json.dumps(counts))


@app.command("export")
@domain_errors
def export_file(path: Annotated[Path, typer.Argument(dir_okay=False)]) -> None:
    """Write every article to .json/.csv/.xlsx/.md."""
    with unit_of_work(session_factory()) as session:
        rows = transfer.export_rows(session)
    transfer.write_file(path, rows)
    typer.echo(json.dumps({"exported": len(rows), "path": str(path)}, ensure_ascii=False))


def seed_path() -> Path:
    """The shipped seed articles (knowledge/data/articles.json)."""
    return Path(str(resources.files("aftersales.knowledge") / "data" / "articles.json"))


def load_seed(session_synonyms: bool = True, progress: Progress = SILENT) -> dict[str, int]:
    """Load the seed articles and synonyms (idempotent: known keys are updated, not duplicated)."""
    counts = _import(seed_path(), progress)
    synonyms = Path(str(resources.files("aftersales.knowledge") / "data" / "synonyms.csv"))
    if session_synonyms and synonyms.is_file():
        import csv

        with synonyms.open(encoding="utf-8") as handle, unit_of_work(session_factory()) as session:
            for row in csv.DictReader(handle):
                service.set_synonyms(
                    session, clock=SystemClock(), term=row["term"], synonyms=row["synonyms"].split("|")
                )
    return counts


@app.command("seed")
@domain_errors
def seed(quiet: QuietOption = False) -> None:
    """Load the shipped 售后辞典 seed (articles, synonyms)."""
    with on_stderr(quiet=quiet) as progress:
        counts = load_seed(progress=progress)
    typer.echo(json.dumps(counts))
