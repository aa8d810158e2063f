"""Progress bars: one line per stage, a count for stages of known size (and for others once steps are
reported), nothing at all when stderr is no terminal."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console
from rich.progress import Progress

from aftersales.core import progress


def _screen(interactive: bool) -> tuple[io.StringIO, Console]:
    screen = io.StringIO()
    return screen, Console(
        file=screen, force_terminal=interactive, force_interactive=interactive, width=80, color_system=None
    )


def test_bars_finish_each_stage_with_its_count() -> None:
    screen, console = _screen(True)
    with Progress(*progress._columns(), console=console) as drawn:
        bars = progress.Bars(drawn)
        bars.stage("sized", total=3)
        bars.advance()
        bars.advance(2)
        bars.stage("steps of unknown number")
        bars.advance(40)
        bars.stage("one go")
        bars.finish()
    frame = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue().rsplit("\x1b[2K", 1)[-1])  # the last frame
    lines = [re.sub(r"\s+", " ", line).strip() for line in frame.split("\n") if line.strip()]
    counts = [re.sub(r" ━+ ", " | ", line).rsplit(" ", 1)[0] for line in lines]
    assert counts == ["sized | 3/3", "steps of unknown number | 40", "one go |"]


@pytest.mark.parametrize(("interactive", "quiet"), [(False, False), (True, True)])
def test_nothing_is_drawn_without_a_terminal_or_when_quiet(
    monkeypatch: pytest.MonkeyPatch, interactive: bool, quiet: bool
) -> None:
    screen, console = _screen(interactive)
    monkeypatch.setattr(progress, "stderr_console", lambda: console)
    with progress.on_stderr(quiet=quiet) as shown:
        shown.stage("a stage", total=2)
        shown.advance(2)
    assert shown is progress.SILENT and screen.getvalue() == ""


def test_a_failed_stage_is_left_unfinished() -> None:
    screen, console = _screen(True)
    with pytest.raises(RuntimeError), Progress(*progress._columns(), console=console) as drawn:
        bars = progress.Bars(drawn)
        bars.stage("doomed", total=4)
        bars.advance()
        raise RuntimeError("stop")
    assert "1/4" in screen.getvalue() and "4/4" not in screen.getvalue()
