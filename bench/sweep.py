"""The SLA sweep over a large history: 1,000,000 tickets of which 100,000 are open (by default).

1. Builds (once; reused while the parameters are the same) a SQLite database with the real schema
   (``aftersales.core.migrate.upgrade`` + the seeded calendars and policies): an organisation tree, managers
   and technicians, customers, tickets and their SLA targets. Target times come from the project's own
   ``sla.rules.plan_targets`` under the seeded policies. Closed tickets' targets are met (``met_at`` set,
   ``next_check_at`` NULL); open tickets are in every open status, and their targets are what the sweeps
   up to ``T - backlog`` left: warned or breached where that time had passed, ``next_check_at`` at the
   warning or due time. The sweep at ``T`` then finds what came due in the last ``backlog`` minutes (about
   1–2 % of open tickets with the defaults: the first pass after the worker was down for a while).
   Bulk load: plain sqlite3 ``executemany`` in big transactions, secondary indexes dropped during the load
   and recreated from the schema's own DDL afterwards.
2. Copies the database and times the real job, ``aftersales.sla.jobs.sweep_job(session_factory,
   FrozenClock(T), settings)`` on the project's engine (WAL, synchronous=FULL): (a) the first sweep, which
   finds the due targets, (b) a second sweep one worker interval (30 s) later, with nothing due.
3. Prints ``EXPLAIN QUERY PLAN`` of the claim query the job actually ran (captured from the engine).
4. ``--cli``: the same on a fresh copy through ``aftersales sla sweep`` as a subprocess (process start-up
   included), its clock set to ``T`` with faketime (``apt-get install faketime``).
5. ``--postgres URL``: the same data COPYed into a PostgreSQL database (a template database is built once
   and cloned for each run), VACUUM ANALYZEd, then the same timings and ``EXPLAIN``.

    .venv/bin/python bench/sweep.py                        # build (a few minutes) + SQLite timings
    .venv/bin/python bench/sweep.py --cli                  # + the CLI under faketime
    .venv/bin/python bench/sweep.py --postgres postgresql+psycopg://postgres@127.0.0.1:54330/aftersales_bench
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from common import VENV_BIN, machine_info, run_at_commit, write_result
from sqlalchemy import Engine, event, text
from sweep_data import (
    SWEEP_AT,
    BuildConfig,
    build_postgres,
    build_sqlite,
    database_facts,
    pg_admin,
    pg_conninfo,
    with_database,
)

from aftersales.config import Settings
from aftersales.core.clock import FrozenClock
from aftersales.core.db import make_engine, make_session_factory
from aftersales.tickets.jobs import sweep_job

SECOND_SWEEP_AFTER = timedelta(seconds=30)  # one worker interval (sweep_interval_seconds)


@contextlib.contextmanager
def capture_claim_query(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """Record the claim query(ies) the job sends (the SELECT on sla_targets by next_check_at)."""
    captured: list[tuple[str, Any]] = []

    def listener(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM sla_targets" in statement and "next_check_at <=" in statement:
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield captured
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def written_rows(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("ticket_events", "notification_outbox", "audit_log")
        }


def time_sweeps(
    url: str, *, synchronous: str = "FULL", profile: bool = False
) -> tuple[dict[str, Any], Engine, list[tuple[str, Any]]]:
    """The first sweep at T, a second one a worker interval later and a third at the same moment (nothing
    left to do), through the real job. ``profile``: cProfile the first sweep."""
    settings = Settings(database_url=url, sqlite_synchronous=synchronous, run_jobs_in_process=False)
    engine = make_engine(url, sqlite_synchronous=synchronous, pool_size=settings.db_pool_size)
    factory = make_session_factory(engine)
    figures: dict[str, Any] = {"batch_size": settings.sweep_batch_size}
    with capture_claim_query(engine) as captured:
        for label, at in (
            ("first_sweep", SWEEP_AT),
            ("second_sweep", SWEEP_AT + SECOND_SWEEP_AFTER),
            ("third_sweep", SWEEP_AT + SECOND_SWEEP_AFTER),
        ):
            profiler = cProfile.Profile() if profile and label == "first_sweep" else None
            started, cpu = time.perf_counter(), time.process_time()
            if profiler is not None:
                profiler.enable()
            report = sweep_job(factory, FrozenClock(at), settings)
            if profiler is not None:
                profiler.disable()
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            if profiler is not None:
                figures["first_sweep_profile"] = profile_text(profiler)
                print(figures["first_sweep_profile"], file=sys.stderr)
            figures[label] = {
                "clock": at.isoformat(),
                "seconds": round(elapsed, 4),
                "cpu_seconds": round(cpu, 4),
                "targets_checked": report.targets_checked,
                "warnings": report.warnings,
                "breaches": report.breaches,
                "tickets_changed": report.tickets_changed,
            }
            print(f"# {label}: {figures[label]}", file=sys.stderr)
    figures["rows_written_by_sweeps"] = written_rows(engine)
    return figures, engine, captured


def profile_text(profiler: cProfile.Profile, top: int = 25) -> str:
    """Top functions by own time, and project functions by cumulative time."""
    parts = []
    for key, pattern in (("tottime", None), ("cumulative", r"src/aftersales")):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats(key)
        stats.print_stats(*([pattern] if pattern else []), top)
        parts.append(f"--- by {key}{' (project code)' if pattern else ''} ---\n" + out.getvalue().split("\n", 6)[-1])
    return "\n".join(parts).replace(str(Path(__file__).resolve().parent.parent) + "/", "")


def sqlite_plan(path: Path, statement: str, parameters: Any) -> list[str]:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        rows = connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
    return [row[-1] for row in rows]


def run_sqlite(config: BuildConfig, workdir: Path, template: Path, *, profile: bool = False) -> dict[str, Any]:
    db = workdir / "sweep-run.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, db)
    figures, engine, captured = time_sweeps(f"sqlite:///{db}", profile=profile)
    engine.dispose()
    if captured:
        statement, parameters = captured[0]
        figures["claim_query"] = " ".join(statement.split())
        figures["claim_query_plan"] = sqlite_plan(db, statement, parameters)
        figures["claim_query_uses_partial_index"] = any(
            "ix_sla_targets_next_check_at" in line for line in figures["claim_query_plan"]
        )
    return figures


def run_cli(workdir: Path, template: Path) -> dict[str, Any]:
    """``aftersales sla sweep`` as a user runs it, its clock set to T by faketime; wall time includes start-up."""
    faketime = shutil.which("faketime")
    if faketime is None:
        return {"skipped": "faketime not installed (apt-get install faketime)"}
    db = workdir / "sweep-cli.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, db)
    env = {**os.environ, "AFTERSALES_DATABASE_URL": f"sqlite:///{db}", "TZ": "UTC", "AFTERSALES_LOG_LEVEL": "WARNING"}
    figures: dict[str, Any] = {}
    for label, at in (("first_sweep", SWEEP_AT), ("second_sweep", SWEEP_AT + SECOND_SWEEP_AFTER)):
        command = [faketime, f"{at:%Y-%m-%d %H:%M:%S}", str(VENV_BIN / "aftersales"), "sla", "sweep"]
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"aftersales sla sweep failed:\n{done.stdout}\n{done.stderr}")
        figures[label] = {
            "fake_clock_start": at.isoformat(),
            "seconds_including_startup": round(elapsed, 3),
            "output": json.loads(done.stdout.strip().splitlines()[-1]),
        }
        print(f"# cli {label}: {figures[label]}", file=sys.stderr)
    started = time.perf_counter()
    subprocess.run([str(VENV_BIN / "aftersales"), "--help"], env=env, capture_output=True, timeout=120, check=False)
    figures["startup_only_seconds (aftersales --help)"] = round(time.perf_counter() - started, 3)
    return figures


def run_postgres(url: str, *, profile: bool = False) -> dict[str, Any]:
    name = pg_conninfo(url)["dbname"]
    with pg_admin(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{name}_template"')
    figures, engine, captured = time_sweeps(url, profile=profile)
    if captured:
        statement, parameters = captured[0]
        figures["claim_query"] = " ".join(statement.split())
        with engine.connect() as connection:
            cursor = connection.connection.dbapi_connection.cursor()
            cursor.execute(f"EXPLAIN {statement}", parameters)
            figures["claim_query_plan"] = [row[0] for row in cursor.fetchall()]
        figures["claim_query_uses_partial_index"] = any(
            "ix_sla_targets_next_check_at" in line for line in figures["claim_query_plan"]
        )
    engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--open", dest="open_tickets", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=400_000)
    parser.add_argument("--backlog-minutes", type=float, default=45.0, help="time since the previous sweep")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/aftersales-bench-sweep"))
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="rebuild the data even if a copy exists (SQLite file, PostgreSQL template)",
    )
    parser.add_argument("--processes", type=int, default=2, help="processes generating rows during the build")
    parser.add_argument("--cli", action="store_true", help="also time `aftersales sla sweep` under faketime")
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL database (dropped/recreated)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile the first sweep (slows it down)")
    parser.add_argument("--commit", metavar="REV", help="measure src/ as of this git revision (default: working tree)")
    args = parser.parse_args()
    run_at_commit()
    if args.open_tickets > args.tickets:
        parser.error("--open cannot exceed --tickets")

    config = BuildConfig(args.tickets, args.open_tickets, args.customers, args.backlog_minutes, args.seed)
    args.workdir.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"benchmark": "sla_sweep", "machine": machine_info(), "config": vars(config)}
    result["config"]["workdir"] = str(args.workdir)

    if not args.skip_sqlite:
        template = args.workdir / f"{config.name()}.db"
        facts_file = template.with_suffix(".json")
        if args.rebuild or not template.exists() or not facts_file.exists():
            print(f"# building {template} (a few minutes)", file=sys.stderr)
            facts = build_sqlite(config, template, args.processes)
            facts_file.write_text(json.dumps(facts, indent=2))
        else:
            print(f"# reusing {template}", file=sys.stderr)
            facts = json.loads(facts_file.read_text())
        print(f"# data: {facts}", file=sys.stderr)
        result["sqlite"] = {"data": facts, "sweeps": run_sqlite(config, args.workdir, template, profile=args.profile)}
        if args.cli:
            result["sqlite"]["cli"] = run_cli(args.workdir, template)

    if args.postgres:
        template_name = f"{pg_conninfo(args.postgres)['dbname']}_template"
        with contextlib.closing(pg_admin(args.postgres)) as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (template_name,)).fetchone()
        if exists and not args.rebuild:
            print(f"# reusing the PostgreSQL template database {template_name}", file=sys.stderr)
            import psycopg

            with psycopg.connect(**pg_conninfo(with_database(args.postgres, template_name))) as connection:
                facts = database_facts(connection, config, placeholder="%s")
            facts["build_s"] = "reused"
        else:
            print("# building the PostgreSQL template database", file=sys.stderr)
            facts = build_postgres(config, args.postgres, args.processes)
        print(f"# data: {facts}", file=sys.stderr)
        result["postgresql"] = {"data": facts, "sweeps": run_postgres(args.postgres, profile=args.profile)}
        with contextlib.closing(pg_admin(args.postgres)) as admin:
            result["postgresql"]["server_version"] = admin.execute("SHOW server_version").fetchone()[0]

    path = write_result("sweep", result)
    print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    print(f"# written to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
