"""Long commands show their progress on stderr when it is a terminal, and only there: stdout stays what
scripts parse (one line of JSON from ``demo``, the token alone from ``tokens create``), ``--quiet`` turns
the bars off, and a captured or piped stderr gets nothing."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import Engine
from typer.testing import CliRunner

from aftersales.cli import app
from aftersales.core import progress
from aftersales.demo.data import USERS
from aftersales.knowledge import transfer
from aftersales.knowledge.cli import seed_path

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
DEMO = ["demo", "--tickets", "6", "--days", "3", "--now", "2026-11-25T10:00:00+08:00"]


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """stderr as an interactive terminal: what the bars draw lands in the returned buffer."""
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, force_interactive=True, width=120, color_system=None)
    monkeypatch.setattr(progress, "stderr_console", lambda: console)
    return screen


def _lines(screen: io.StringIO) -> list[str]:
    """The bars as the terminal shows them at the end: the last frame drawn (after the last line erase)."""
    frame = ANSI.sub("", screen.getvalue().rsplit("\x1b[2K", 1)[-1])
    return [re.sub(r"\s+", " ", line).strip() for line in frame.split("\n") if line.strip()]


def test_demo_shows_every_stage_on_the_terminal_and_prints_only_json(
    cli_db: Engine, runner: CliRunner, terminal: io.StringIO
) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, DEMO)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    [line] = result.stdout.splitlines()
    assert json.loads(line)["tickets_created"] == 6
    articles = len(transfer.read_file(seed_path()))
    bars = [re.sub(r" ━+ ", " | ", line).rsplit(" ", 1)[0] for line in _lines(terminal)]
    assert bars == [
        "默认值与目录 / defaults |",
        f"演示账号 / users | {len(USERS)}/{len(USERS)}",
        "服务网络 / network |",
        "历史工单 / tickets | 6/6",
        "公告 / bulletins |",
        f"知识文章 / articles | {articles}/{articles}",
        "汇总 / summary |",
    ]


def test_quiet_and_a_captured_stderr_show_nothing(cli_db: Engine, runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    captured = runner.invoke(app, ["db", "backup", "--to", str(tmp_path / "a.db")])  # stderr is no terminal
    assert captured.exit_code == 0
    assert (captured.stderr, captured.output) == (
        "",
        f"backed up to {tmp_path / 'a.db'} ({(tmp_path / 'a.db').stat().st_size} bytes)\n",
    )


def test_backup_counts_pages_and_quiet_silences_it(
    cli_db: Engine, runner: CliRunner, terminal: io.StringIO, tmp_path: Path
) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    quiet = runner.invoke(app, ["db", "backup", "--to", str(tmp_path / "q.db"), "--quiet"])
    assert (quiet.exit_code, quiet.stderr, terminal.getvalue()) == (0, "", "")
    shown = runner.invoke(app, ["db", "backup", "--to", str(tmp_path / "b.db")])
    assert shown.exit_code == 0
    assert shown.stdout == f"backed up to {tmp_path / 'b.db'} ({(tmp_path / 'b.db').stat().st_size} bytes)\n"
    [bar] = _lines(terminal)
    pages = (tmp_path / "b.db").stat().st_size // 4096
    assert re.fullmatch(rf"备份 / backup \(pages\) ━+ {pages}/{pages} \d:\d\d:\d\d", bar), bar


def test_tokens_create_still_prints_only_the_token(cli_db: Engine, runner: CliRunner, terminal: io.StringIO) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    created = runner.invoke(app, ["users", "create", "--username", "bot", "--role", "agent", "--password", "p" * 10])
    assert created.exit_code == 0
    token = runner.invoke(app, ["tokens", "create", "--username", "bot"])
    assert token.exit_code == 0 and token.stderr == "" and terminal.getvalue() == ""
    assert re.fullmatch(r"as_\S{30,}\n", token.stdout)
