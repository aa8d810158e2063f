"""What every package's Typer commands share: one way to report a domain error and exit, and ``--quiet``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

import typer

from aftersales.core.errors import DomainError

P = ParamSpec("P")
R = TypeVar("R")

# Exit code of a command refused by a domain rule (Typer's usage errors exit with 2).
DOMAIN_ERROR_EXIT = 1
# A long command's progress bars (core.progress) are drawn on stderr only when it is a terminal; this turns them off there too.
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="no progress bars on stderr")]


def report_domain_error(error: DomainError) -> None:
    """Print ``错误 [code]: detail`` and one line per field message to stderr."""
    typer.echo(f"错误 [{error.code}]: {error.detail}", err=True)
    for field, message in error.fields.items():
        text = "; ".join(map(str, message)) if isinstance(message, list | tuple) else str(message)
        typer.echo(f"  {field}: {text}", err=True)


def domain_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Decorate a command (below ``@app.command``): a DomainError is reported and the command exits with 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except DomainError as error:
            report_domain_error(error)
            raise typer.Exit(DOMAIN_ERROR_EXIT) from None

    return wrapper
