"""Real ``aftersales`` processes for the crash tests: their environment, starting them, killing them with
SIGKILL, and a database of their own (a SQLite file, or a fresh PostgreSQL database beside the test one)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

CLI = str(Path(sys.executable).parent / "aftersales")
STARTUP_SECONDS = 60.0  # bound on a process becoming ready on a busy machine (not a measurement)


def process_environment(url: str, **settings: str) -> dict[str, str]:
    """The processes' environment: the shell's without its AFTERSALES_ settings, test mode on ``url``,
    and ``settings`` (``notify_batch_size="10"`` is AFTERSALES_NOTIFY_BATCH_SIZE)."""
    result = {name: value for name, value in os.environ.items() if not name.startswith("AFTERSALES_")}
    result |= {
        "AFTERSALES_ENV": "test",
        "AFTERSALES_DATABASE_URL": url,
        "AFTERSALES_SECRET_KEY": "crash-recovery-key",
        "AFTERSALES_LOG_LEVEL": "WARNING",
        # No child processes: SIGKILL of the process is the whole crash, nothing is left running.
        "AFTERSALES_OFFLOAD_COMPUTATION": "false",
    }
    result.update({f"AFTERSALES_{name.upper()}": value for name, value in settings.items()})
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Processes:
    """Processes a test started, each in a session of its own, with its output in a log file; whatever is
    still running at the end is killed (by its own process group id) and reaped."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, arguments: list[str], environment: dict[str, str]) -> subprocess.Popen[bytes]:
        """Start ``aftersales <arguments>``."""
        with (self.directory / f"process-{len(self.started)}.log").open("wb") as log:
            process = subprocess.Popen(
                [CLI, *arguments],
                env=environment,
                cwd=self.directory,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(process)
        return process

    @staticmethod
    def kill(process: subprocess.Popen[bytes]) -> None:
        """SIGKILL (kill -9) to the process and anything it started; returns once it is reaped."""
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # it died on its own meanwhile
                os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def log_of(self, process: subprocess.Popen[bytes]) -> str:
        """The end of what the process wrote (for assertion messages)."""
        path = self.directory / f"process-{self.started.index(process)}.log"
        return path.read_text(errors="replace")[-4000:]

    def stop_all(self) -> None:
        for process in self.started:
            self.kill(process)


@contextlib.contextmanager
def own_database(database_url: str, directory: Path) -> Iterator[str]:
    """An empty database: a SQLite file in ``directory``, or a fresh PostgreSQL database (dropped after)
    on the server of ``database_url``; skips when the test role may not create databases."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{directory / 'processes.db'}"
        return
    name = f"aftersales_processes_{os.getpid()}"
    admin = create_engine(make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except (ProgrammingError, OperationalError):
        admin.dispose()
        pytest.skip("the test role may not create databases")
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
