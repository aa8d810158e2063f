"""The ``aftersales`` command: composes each package's CLI."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from aftersales.accounts.cli import orgs_app, tokens_app, users_app
from aftersales.analytics.cli import app as analytics_app
from aftersales.config import MissingSecretKeyError, get_settings, require_secret_key
from aftersales.core import timeutil
from aftersales.core.commandline import QuietOption
from aftersales.core.progress import on_stderr
from aftersales.dispatch.cli import app as dispatch_app
from aftersales.knowledge.cli import app as knowledge_app
from aftersales.notifications.cli import app as notifications_app
from aftersales.sla.cli import app as sla_app
from aftersales.tickets.cli import sweep as sla_sweep
from aftersales.triage.cli import app as triage_app
from aftersales.usecases.cli import customers_app, import_app

app = typer.Typer(help="Aftersales 售后服务闭环管理系统", no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(orgs_app, name="orgs")
sla_app.command("sweep")(sla_sweep)
app.add_typer(sla_app, name="sla")
app.add_typer(triage_app, name="triage")
app.add_typer(knowledge_app, name="knowledge")
app.add_typer(dispatch_app, name="dispatch")
app.add_typer(import_app, name="import")
app.add_typer(customers_app, name="customers")
app.add_typer(notifications_app, name="notifications")
app.add_typer(analytics_app, name="analytics")

# sysexits.h EX_CONFIG: the process refused to start because of its configuration.
CONFIGURATION_ERROR = 78


@contextmanager
def refusing_bad_configuration() -> Iterator[None]:
    """Turn a configuration the process must not run with into a message on stderr and exit code 78."""
    try:
        yield
    except MissingSecretKeyError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(CONFIGURATION_ERROR) from None
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        typer.echo(f"配置无效 / invalid configuration (AFTERSALES_*): {problems}", err=True)
        raise typer.Exit(CONFIGURATION_ERROR) from None


@app.callback()
def configure() -> None:
    """Read the settings once and set the process-wide local time zone (AFTERSALES_TIMEZONE)."""
    with refusing_bad_configuration():
        timeutil.configure_local_zone(get_settings().timezone)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Migrate the configured database and load the default calendars, SLA policies and intake rules."""
    from aftersales.core import migrate, runtime
    from aftersales.core.db import unit_of_work
    from aftersales.sla.defaults import seed_defaults
    from aftersales.triage.defaults import seed_rules

    engine = runtime.engine()
    migrate.upgrade(engine, revision)
    if revision == "head":
        with unit_of_work(runtime.session_factory()) as session:
            seed_defaults(session)
            seed_rules(session)
    typer.echo(f"database at {migrate.current(engine)}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's migration revision."""
    from aftersales.core import migrate, runtime

    typer.echo(migrate.current(runtime.engine()) or "(empty)")


@db_app.command("backup")
def db_backup(
    to: Annotated[Path, typer.Option("--to", help="file to write the backup to")], quiet: QuietOption = False
) -> None:
    """Back the configured database up (SQLite online backup, or pg_dump), while the system keeps running."""
    from aftersales.core import backup

    try:
        with on_stderr(quiet=quiet) as progress:
            size = backup.backup(get_settings().database_url, to, progress=progress)
    except backup.BackupError as error:
        typer.echo(f"备份失败 / backup failed: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"backed up to {to} ({size} bytes)")


@db_app.command("restore")
def db_restore(
    source: Annotated[Path, typer.Option("--from", help="a file written by `db backup`")],
    yes: Annotated[bool, typer.Option("--yes", help="replace the current data without asking")] = False,
) -> None:
    """Replace the configured database with a backup (stop servers and workers first)."""
    from aftersales.core import backup

    if not yes:
        typer.confirm("This replaces every row of the configured database. Continue?", abort=True)
    try:
        backup.restore(get_settings().database_url, source)
    except backup.BackupError as error:
        typer.echo(f"恢复失败 / restore failed: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"restored from {source}")


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    jobs: Annotated[bool, typer.Option(help="run background jobs in-process")] = True,
    workers: Annotated[int, typer.Option(min=1, max=64, help="server processes (uses every core)")] = 1,
    access_log: Annotated[bool, typer.Option()] = False,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            help="proxies trusted for X-Forwarded-For/-Proto (comma-separated, '*' for any): behind them the"
            " client's address (rate limits) and https (secure cookies) come from the proxy's headers"
        ),
    ] = "127.0.0.1",
    timeout_worker_healthcheck: Annotated[
        int, typer.Option(help="seconds a new server process may take to start (with --workers)")
    ] = 60,
) -> None:
    """Serve the API (and the background jobs, unless --no-jobs)."""
    import os

    import uvicorn

    from aftersales.app import create_app

    settings = get_settings()
    logging.basicConfig(level=settings.log_level)
    if workers > 1:
        with refusing_bad_configuration():
            require_secret_key(settings)  # refused here, before any process starts; each process checks again
        # Each process builds its app from the environment; jobs are safe to run in several (row locks,
        # SKIP LOCKED on PostgreSQL, the write lock on SQLite, dedupe keys on notices).
        os.environ["AFTERSALES_RUN_JOBS_IN_PROCESS"] = "true" if jobs and settings.run_jobs_in_process else "false"
        uvicorn.run(
            "aftersales.app:create_app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=access_log,
            log_level=settings.log_level.lower(),
            proxy_headers=True,
            forwarded_allow_ips=forwarded_allow_ips,
            # Importing the app (models, triage, routing) takes seconds on a busy machine: uvicorn's 5 s
            # default made the supervisor kill and restart processes in a loop.
            timeout_worker_healthcheck=timeout_worker_healthcheck,
        )
        return
    with refusing_bad_configuration():
        application = create_app(settings, run_jobs=jobs and settings.run_jobs_in_process)
    uvicorn.run(
        application,
        host=host,
        port=port,
        access_log=access_log,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
    )


@app.command("worker")
def worker(once: Annotated[bool, typer.Option(help="run every job once and exit")] = False) -> None:
    """Run the background jobs only (SLA sweep …)."""
    import threading

    from aftersales.core.runtime import clock_for, session_factory
    from aftersales.worker import jobs, run_forever

    settings = get_settings()
    logging.basicConfig(level=settings.log_level)
    with refusing_bad_configuration():
        require_secret_key(settings)  # the feedback job signs survey links
    # Demo and benchmarks may run as if at another instant (refused in production by the settings).
    clock = clock_for(settings)
    if once:
        for job in jobs(settings):
            typer.echo(f"{job.name}: {job.run(session_factory(), clock, settings)}")
        return
    from aftersales.core import offload

    offload.enable(settings.offload_computation)
    stop = threading.Event()
    try:
        run_forever(session_factory(), clock, settings, stop)
    except KeyboardInterrupt:
        stop.set()
    finally:
        offload.enable(False)


@app.command("demo")
def demo(
    tickets: Annotated[int, typer.Option(help="historical tickets to create")] = 2000,
    days: Annotated[int, typer.Option(help="spread over this many past days")] = 90,
    seed: Annotated[int, typer.Option()] = 20261122,
    now: Annotated[
        str | None,
        typer.Option(help="load as of this instant, ISO 8601 with offset, e.g. 2026-12-02T10:00:00+08:00"),
    ] = None,
    quiet: QuietOption = False,
) -> None:
    """Load the demo data set (idempotent): a smart-lock maker, its network, customers, history.

    Progress goes to stderr (on a terminal, unless --quiet); stdout gets only the summary, one line of JSON."""
    from datetime import datetime

    from aftersales.core.clock import FrozenClock
    from aftersales.demo.loader import load_demo

    clock: FrozenClock | None = None
    if now is not None:
        refusal = typer.BadParameter(
            "需要带时区偏移的 ISO 8601 时间，例如 2026-12-02T10:00:00+08:00 (an ISO 8601 time with an offset)",
            param_hint="'--now'",
        )
        try:
            at = datetime.fromisoformat(now)
        except ValueError:
            raise refusal from None
        if at.tzinfo is None:
            raise refusal
        clock = FrozenClock(at)  # every row is stamped as of that instant: the same load every time
    with on_stderr(quiet=quiet) as progress:
        summary = load_demo(ticket_count=tickets, days=days, seed=seed, clock=clock, progress=progress)
    typer.echo(json.dumps(summary, ensure_ascii=False))
