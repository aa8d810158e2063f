"""Progress of long commands (``aftersales demo``, ``db backup``, ``knowledge seed`` …), shown on stderr.

Code that runs long takes a ``progress: Progress`` (default :data:`SILENT`) and reports its stages and
steps; only a command decides whether anyone sees them (:func:`on_stderr`). The bars go to stderr, so a
command's stdout stays exactly what scripts parse (``tokens create`` prints only the token, ``demo`` one
line of JSON), and they are drawn only on an interactive terminal: piped, captured, in CI or with
``--quiet``, nothing is written at all. Drawn with ``rich`` (which Typer already uses for its help).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress as RichProgress
    from rich.progress import ProgressColumn, TaskID


class Progress(Protocol):
    """What long-running code reports: a stage (with its number of steps, when known), then the steps."""

    def stage(self, description: str, total: int | None = None) -> None:
        """Begin a stage (the previous one is finished)."""

    def advance(self, steps: int = 1) -> None:
        """``steps`` more of the current stage are done."""


class Silent:
    """Reports to nobody: the default for code run by the server, the worker and the tests."""

    def stage(self, description: str, total: int | None = None) -> None:
        """Nothing to show."""

    def advance(self, steps: int = 1) -> None:
        """Nothing to show."""


SILENT = Silent()


class Bars:
    """One line per stage on a rich console: a bar with done/total when the total is known, else a pulse."""

    def __init__(self, progress: RichProgress) -> None:
        self._progress = progress
        self._task: TaskID | None = None
        self._steps = 0

    def stage(self, description: str, total: int | None = None) -> None:
        """Finish the current line and start a new one."""
        self.finish()
        self._steps = 0
        self._task = self._progress.add_task(description, total=total, sized=total is not None, steps=0)

    def advance(self, steps: int = 1) -> None:
        """Move the current bar on."""
        if self._task is not None:
            self._steps += steps
            self._progress.update(self._task, advance=steps, steps=self._steps)

    def finish(self) -> None:
        """Show the current stage as complete (a stage whose size was unknown, too)."""
        if self._task is None:
            return
        task = next(task for task in self._progress.tasks if task.id == self._task)
        done = max(self._steps, 1) if task.total is None else task.total
        self._progress.update(self._task, total=done, completed=done)
        self._task = None


def _columns() -> tuple[ProgressColumn, ...]:
    """Description, bar, the count (done/total; for a stage of unknown size the steps so far, if any), time."""
    from rich.progress import BarColumn, ProgressColumn, Task, TextColumn, TimeElapsedColumn
    from rich.text import Text

    class Count(ProgressColumn):
        def render(self, task: Task) -> Text:
            if task.fields.get("sized"):
                return Text(f"{task.completed:.0f}/{task.total:.0f}", style="progress.download")
            return Text(str(task.fields.get("steps") or ""), style="progress.download")

    return (TextColumn("{task.description}"), BarColumn(), Count(), TimeElapsedColumn())


def stderr_console() -> Console:
    """The console the bars are drawn on (stderr; it knows whether that is an interactive terminal)."""
    from rich.console import Console

    return Console(stderr=True)


@contextmanager
def on_stderr(*, quiet: bool = False) -> Iterator[Progress]:
    """A command's progress: bars on stderr when it is an interactive terminal and not ``quiet``, else silent."""
    if quiet:
        yield SILENT
        return
    console = stderr_console()
    if not console.is_interactive:
        yield SILENT
        return
    from rich.progress import Progress

    with Progress(*_columns(), console=console) as progress:
        bars = Bars(progress)
        yield bars
        bars.finish()  # not after a failure: the stage that failed stays unfinished on screen
