"""Where does the time of one ticket creation go? cProfile over the real create flow, without HTTP.

Runs, per ticket, the database work of ``POST /api/v1/tickets`` after the request is parsed (token lookup,
``flows.open_ticket``, building the reply), each ticket in its own transaction, on a fresh, migrated SQLite
file, for ``--count`` tickets after a warm-up. Prints the SQL of one creation, the per-ticket wall and CPU
time, how long the SQLite write lock is held per ticket, and the top functions. (A server that batches
several requests into one commit, as ``core/write_queue.py`` does from b7d9503 on, shares the commit between
them; the flow's own CPU cost is the same.)

    .venv/bin/python bench/profile_create.py --count 500
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import ROOT, BodyFactory, run_at_commit
from sqlalchemy import event

from aftersales.accounts import service as accounts_service
from aftersales.accounts import tokens as accounts_tokens
from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core import migrate
from aftersales.core.clock import SystemClock
from aftersales.core.db import READ_ONLY_OPTION, make_engine, make_session_factory, mark_read_only, unit_of_work
from aftersales.sla.defaults import seed_defaults
from aftersales.tickets.schemas import TicketCreate
from aftersales.triage.defaults import seed_rules
from aftersales.usecases import intake as flows
from aftersales.web.deps import commit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--synchronous", default="FULL", choices=["FULL", "NORMAL"])
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="both", choices=["tottime", "cumulative", "both"])
    parser.add_argument("--commit", metavar="REV", help="measure src/ as of this git revision (default: working tree)")
    args = parser.parse_args()
    run_at_commit()

    workdir = Path(tempfile.mkdtemp(prefix="aftersales-bench-profile-"))
    engine = make_engine(f"sqlite:///{workdir / 'profile.db'}", sqlite_synchronous=args.synchronous)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    clock = SystemClock()
    with unit_of_work(factory) as session:
        seed_defaults(session)
        seed_rules(session)
        accounts_service.create_user(session, clock=clock, actor=SYSTEM_ACTOR, username="bench", role=Role.AGENT)
        _, token = accounts_tokens.create_token(session, clock=clock, actor=SYSTEM_ACTOR, username="bench")

    bodies = BodyFactory()

    write_lock_held: list[float] = []
    lock_taken: list[float] = []

    def on_begin(connection: Any) -> None:
        if not connection.get_execution_options().get(READ_ONLY_OPTION):
            lock_taken.append(time.perf_counter())

    event.listen(engine, "begin", on_begin)

    def create_and_present() -> None:
        """The route's database work (web.deps + tickets.api.create_ticket), minus HTTP, one commit per ticket."""
        request = TicketCreate.model_validate(bodies.body())
        session = factory()
        try:
            mark_read_only(session)
            actor = accounts_tokens.authenticate_token(session, token, now=clock.now())
            session.rollback()
            lock_taken.clear()
            read, _ = flows.open_ticket(session, clock=clock, actor=actor, request=request, number_prefix="SH")
            commit(session)
            if lock_taken:  # from BEGIN IMMEDIATE to the end of COMMIT: how long other writers wait
                write_lock_held.append(time.perf_counter() - lock_taken[0])
            read.model_dump_json()
        finally:
            session.rollback()
            session.close()

    for _ in range(args.warmup):
        create_and_present()

    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(" ".join(statement.split())[:150])

    event.listen(engine, "before_cursor_execute", record)
    create_and_present()
    event.remove(engine, "before_cursor_execute", record)
    print(f"SQL statements for one ticket (token lookup, create, commit, reply): {len(statements)}")
    for number, statement in enumerate(statements, 1):
        print(f"  {number:2d}. {statement}")
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(args.count):
        create_and_present()
    profiler.disable()
    elapsed = time.perf_counter() - started
    print(f"{args.count} tickets in {elapsed:.2f} s under cProfile: {elapsed / args.count * 1000:.2f} ms/ticket")

    write_lock_held.clear()
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(args.count):
        create_and_present()
    plain, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"{args.count} tickets in {plain:.2f} s without profiler: {plain / args.count * 1000:.2f} ms/ticket wall, "
        f"{cpu / args.count * 1000:.2f} ms/ticket CPU (one thread: at most {args.count / plain:.0f} tickets/s)"
    )
    held = sorted(write_lock_held)
    print(
        f"SQLite write lock held per ticket (BEGIN IMMEDIATE .. end of COMMIT): median {held[len(held) // 2] * 1000:.2f} ms,"
        f" p90 {held[int(len(held) * 0.9)] * 1000:.2f} ms: writers in all processes together cannot exceed"
        f" ~{1 / held[len(held) // 2]:.0f} tickets/s"
    )

    for key in ("tottime", "cumulative") if args.sort == "both" else (args.sort,):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(key).print_stats(args.top)
        print(f"\n=== top {args.top} by {key} (all code) ===")
        print(out.getvalue().split("\n", 6)[-1])
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(r"src/aftersales|cpca", args.top)
    print(f"\n=== top {args.top} project functions (and cpca) by cumulative time ===")
    print(out.getvalue().split("\n", 6)[-1].replace(str(ROOT) + "/", ""))
    sys.stdout.flush()
    engine.dispose()
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
