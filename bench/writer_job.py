"""The group-commit writer's own cost per ticket, without HTTP.

Runs the job the API hands to the writer thread (token check, triage, SLA plan, writes, reply model),
16 jobs per transaction with a SAVEPOINT each, on a fresh SQLite file (synchronous=FULL), single thread.
Prints ms per job, then a cProfile of 800 more jobs.

    .venv/bin/python bench/writer_job.py
"""

from __future__ import annotations

import cProfile
import os
import pstats
import tempfile
import time
from datetime import date

from aftersales.accounts import service as accounts_service
from aftersales.accounts import tokens as accounts_tokens
from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core import migrate
from aftersales.core.clock import SystemClock
from aftersales.core.db import make_engine, make_session_factory, unit_of_work
from aftersales.sla.defaults import seed_defaults
from aftersales.tickets import presenters
from aftersales.tickets.schemas import TicketCreate, TicketRead
from aftersales.triage.defaults import seed_rules
from aftersales.usecases import intake as flows

BATCH = 16


def main() -> None:
    path = os.path.join(tempfile.mkdtemp(prefix="aftersales-writer-"), "writer.db")
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    clock = SystemClock()
    with unit_of_work(factory) as session:
        seed_defaults(session)
        seed_rules(session)
        accounts_service.create_user(session, clock=clock, actor=SYSTEM_ACTOR, username="bench", role=Role.AGENT)
        _, token = accounts_tokens.create_token(session, clock=clock, actor=SYSTEM_ACTOR, username="bench")
    bodies = [
        TicketCreate.model_validate(
            {
                "channel": "api",
                "external_id": f"ext-{i}",
                "customer": {"name": "客户", "phone": f"139{i:08d}", "address": f"广东省深圳市南山区科技园{i}号"},
                "product": {"model": "YL-S7", "serial_number": f"SN{i}", "purchase_date": "2025-03-01"},
                "description": "指纹锁识别失败，需要维修",
            }
        )
        for i in range(2600)
    ]

    def job(session, body: TicketCreate) -> TicketRead:  # type: ignore[no-untyped-def]
        actor = accounts_tokens.authenticate_token(session, token, now=clock.now())
        ticket, _ = flows.open_ticket(session, clock=clock, actor=actor, request=body)
        return presenters.ticket_read(ticket, today=date(2026, 11, 22))

    def run(low: int, high: int) -> None:
        for start in range(low, high, BATCH):
            session = factory()
            for index in range(start, min(high, start + BATCH)):
                with session.begin_nested():
                    job(session, bodies[index])
            session.commit()
            session.close()

    run(0, 200)  # warm-up
    began = time.perf_counter()
    run(200, 1800)
    print(f"writer ms per job: {(time.perf_counter() - began) / 1600 * 1000:.2f}")
    profile = cProfile.Profile()
    profile.enable()
    run(1800, 2600)
    profile.disable()
    stats = pstats.Stats(profile).sort_stats(os.environ.get("SORT", "cumulative"))
    stats.print_stats(*([] if os.environ.get("SORT") else ["aftersales"]), 25)
    if os.environ.get("CALLERS"):
        stats.print_callers(os.environ["CALLERS"])


if __name__ == "__main__":
    main()
