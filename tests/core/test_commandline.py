"""``@domain_errors``: a DomainError becomes ``错误 [code]: detail`` (and its fields) on stderr, exit code 1."""

from __future__ import annotations

from typing import Annotated

import typer
from typer.testing import CliRunner

from aftersales.core.commandline import domain_errors
from aftersales.core.errors import ConflictError, InvalidInputError

app = typer.Typer()


@app.command("check")
@domain_errors
def check(
    name: Annotated[str, typer.Option(help="a name")],
    times: Annotated[int, typer.Option()] = 1,
) -> None:
    """Succeeds for 'ok', refuses anything else."""
    if name == "taken":
        raise ConflictError("名称已被占用", code="thing.exists")
    if name != "ok":
        raise InvalidInputError("输入有误", fields={"name": "只能是 ok", "times": ["必须为正数", "不能超过 3"]})
    typer.echo(f"ok x{times}")


@app.command("other")
def other() -> None:
    """Keeps the app a group."""


def test_success_passes_through_with_the_options_intact() -> None:
    result = CliRunner().invoke(app, ["check", "--name", "ok", "--times", "2"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "ok x2\n", "")
    assert "--times" in CliRunner().invoke(app, ["check", "--help"]).stdout


def test_a_domain_error_is_reported_on_stderr_with_exit_code_1() -> None:
    result = CliRunner().invoke(app, ["check", "--name", "taken"])
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", "错误 [thing.exists]: 名称已被占用\n")


def test_field_messages_follow_one_per_line() -> None:
    result = CliRunner().invoke(app, ["check", "--name", "bad"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "错误 [request.invalid]: 输入有误",
        "  name: 只能是 ok",
        "  times: 必须为正数; 不能超过 3",
    ]
    assert result.exception is None or isinstance(result.exception, SystemExit)
