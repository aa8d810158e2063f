"""The floor for ticket creation: the same rows the API writes for one ticket, inserted with SQLAlchemy Core.

One transaction per ticket (``BEGIN IMMEDIATE`` … ``COMMIT``, as the project's engine does) on a fresh SQLite
file migrated by ``aftersales.core.migrate.upgrade`` and opened with the project's ``make_engine`` (WAL, busy
timeout, foreign keys, the chosen ``synchronous``). Per ticket: customer, address, installed product,
number-sequence upsert + increment, ticket, timeline event, 3 SLA targets, audit entry. No reads, no
address parsing, no SLA arithmetic, no HTTP: what is left is the database's own cost plus Core's.

Single process, single thread. Reports tickets/s for each synchronous mode asked for (default FULL and NORMAL).

    .venv/bin/python bench/raw_insert.py                 # FULL and NORMAL, 10 s each
    .venv/bin/python bench/raw_insert.py --modes FULL --duration 20
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from common import ADDRESS_BOOK, BodyFactory, busy_cpu_seconds, machine_info, run_at_commit, write_result
from sqlalchemy import Engine, bindparam, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from aftersales.accounts.models import AuditEntry, User
from aftersales.core import migrate
from aftersales.core.db import make_engine
from aftersales.customers.models import Address, Customer, InstalledProduct
from aftersales.sla.defaults import seed_defaults
from aftersales.sla.models import Calendar, Target
from aftersales.tickets.models import Ticket, TicketEvent, TicketNumberSequence

MAX_TICKETS = 200_000  # hard bound, whatever the duration


def prepared_rows(count: int, seed: int) -> list[dict[str, Any]]:
    """The per-ticket values, computed before the clock starts (the floor measures only the writes)."""
    factory = BodyFactory(seed=seed, repeat_caller_share=0.0)
    rows = []
    for index in range(count):
        body = factory.body()
        raw = body["customer"]["address"]
        prefix = next(p for p in ADDRESS_BOOK if raw.startswith(p))
        district = next(d for d in ADDRESS_BOOK[prefix] if raw.startswith(prefix + d))
        province = prefix[:3] if prefix.startswith("广东") else prefix
        city = prefix[3:] if prefix.startswith("广东") else prefix
        product = body.get("product") or {"model": "YL-F3"}
        rows.append(
            {
                "name": body["customer"]["name"],
                # unique per row: the API would find the repeat caller instead of inserting
                "phone": f"1{(3_000_000_000 + index * 7919 + seed) % 10_000_000_000:010d}",
                "raw": raw,
                "province": province,
                "city": city,
                "district": district,
                "detail": raw[len(prefix + district) :],
                "model": product["model"],
                "serial": product.get("serial_number") or f"RAW{index:012d}",
                "purchase_date": date(2026, 3, 1),
                "description": body["description"],
                "kind": body.get("kind", "repair"),
                "priority": body.get("priority", "routine"),
                "channel": body["channel"],
            }
        )
    return rows


# Statements built once, parameters bound per execution (Core's fast path: compiled once, cached).
INSERT_CUSTOMER = insert(Customer)
INSERT_ADDRESS = insert(Address)
INSERT_PRODUCT = insert(InstalledProduct)
INSERT_SEQUENCE = (
    sqlite_insert(TicketNumberSequence).values(day=bindparam("day"), last_value=0).on_conflict_do_nothing()
)
BUMP_SEQUENCE = (
    update(TicketNumberSequence)
    .where(TicketNumberSequence.day == bindparam("day_key"))
    .values(last_value=TicketNumberSequence.last_value + 1)
    .returning(TicketNumberSequence.last_value)
)
INSERT_TICKET = insert(Ticket)
INSERT_EVENT = insert(TicketEvent)
INSERT_TARGET = insert(Target)
INSERT_AUDIT = insert(AuditEntry)
TARGETS = (("first_response", 1800), ("onsite", 7200), ("resolution", 86400))


def ticket_values(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "kind": row["kind"],
        "priority": row["priority"],
        "status": "registered",
        "channel": row["channel"],
        "product_model": row["model"],
        "description": row["description"],
        "external_id": None,
        "reported_at": now,
        "created_at": now,
        "updated_at": now,
        "sla_state": "on_track",
        "reopen_count": 0,
        "triage": None,
        "version": 1,
    }


def insert_one_core(
    engine: Engine, row: dict[str, Any], *, user_id: int, calendar_id: int, now: datetime, inline: bool = False
) -> None:
    """All rows of one ticket in one transaction, with SQLAlchemy Core.

    ``inline``: build each statement at the call (``insert(Model).values(...)``, as service code usually
    does) instead of reusing prebuilt ones; shows what statement construction and cache-key generation cost.
    """
    key = f"{now + timedelta(hours=8):%Y%m%d}"
    with engine.begin() as connection:

        def run(statement: Any, params: Any) -> Any:
            if not inline:
                return connection.execute(statement, params)
            if isinstance(params, list):
                return connection.execute(insert(statement.table), params)
            return connection.execute(insert(statement.table).values(**params))

        customer_id = run(
            INSERT_CUSTOMER, {"name": row["name"], "phone": row["phone"], "phone_kind": "mobile", "created_at": now}
        ).inserted_primary_key[0]
        address_id = run(
            INSERT_ADDRESS,
            {
                "customer_id": customer_id,
                "raw": row["raw"],
                "province": row["province"],
                "city": row["city"],
                "district": row["district"],
                "adcode": "440305",
                "detail": row["detail"],
                "longitude": 113.93,
                "latitude": 22.53,
                "created_at": now,
            },
        ).inserted_primary_key[0]
        product_id = run(
            INSERT_PRODUCT,
            {
                "customer_id": customer_id,
                "model": row["model"],
                "serial_number": row["serial"],
                "purchase_date": row["purchase_date"],
                "warranty_end": date(2028, 3, 1),
                "created_at": now,
            },
        ).inserted_primary_key[0]
        if inline:
            connection.execute(
                sqlite_insert(TicketNumberSequence).values(day=key, last_value=0).on_conflict_do_nothing()
            )
            value = connection.execute(
                update(TicketNumberSequence)
                .where(TicketNumberSequence.day == key)
                .values(last_value=TicketNumberSequence.last_value + 1)
                .returning(TicketNumberSequence.last_value)
            ).scalar_one()
        else:
            connection.execute(INSERT_SEQUENCE, {"day": key})
            value = connection.execute(BUMP_SEQUENCE, {"day_key": key}).scalar_one()
        number = f"SH{key}-{value:06d}"
        ticket_id = run(
            INSERT_TICKET,
            {
                **ticket_values(row, now),
                "number": number,
                "customer_id": customer_id,
                "address_id": address_id,
                "installed_product_id": product_id,
                "created_by_id": user_id,
            },
        ).inserted_primary_key[0]
        run(
            INSERT_EVENT,
            {
                "ticket_id": ticket_id,
                "type": "register",
                "at": now,
                "recorded_at": now,
                "actor_id": user_id,
                "actor_name": "bench",
                "note": None,
                "from_status": None,
                "to_status": "registered",
                "data": {"channel": row["channel"]},
            },
        )
        run(
            INSERT_TARGET,
            [
                {
                    "ticket_id": ticket_id,
                    "kind": kind,
                    "calendar_id": calendar_id,
                    "started_at": now,
                    "duration_seconds": seconds,
                    "warning_ratio": 0.8,
                    "paused_seconds": 0,
                    "warn_at": now + timedelta(seconds=seconds * 0.8),
                    "due_at": now + timedelta(seconds=seconds),
                    "state": "on_track",
                    "next_check_at": now + timedelta(seconds=seconds * 0.8),
                }
                for kind, seconds in TARGETS
            ],
        )
        run(
            INSERT_AUDIT,
            {
                "at": now,
                "actor_id": user_id,
                "actor_name": "bench",
                "action": "ticket.created",
                "entity_type": "ticket",
                "entity_id": str(ticket_id),
                "before": None,
                "after": {"number": number, "status": "registered", "kind": row["kind"], "priority": row["priority"]},
                "note": None,
            },
        )


def _ts(value: datetime) -> str:
    """The text SQLAlchemy stores for a UTCDateTime on SQLite (naive UTC with microseconds)."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def insert_one_dbapi(
    connection: sqlite3.Connection, row: dict[str, Any], *, user_id: int, calendar_id: int, now: datetime
) -> None:
    """The same rows and statements through the sqlite3 module directly (what Core costs on top of it)."""
    key = f"{now + timedelta(hours=8):%Y%m%d}"
    at = _ts(now)
    execute = connection.execute
    execute("BEGIN IMMEDIATE")
    try:
        customer_id = execute(
            "INSERT INTO customers (name, phone, phone_kind, created_at) VALUES (?, ?, 'mobile', ?)",
            (row["name"], row["phone"], at),
        ).lastrowid
        address_id = execute(
            "INSERT INTO addresses (customer_id, raw, province, city, district, adcode, detail, longitude, latitude,"
            " created_at) VALUES (?, ?, ?, ?, ?, '440305', ?, 113.93, 22.53, ?)",
            (customer_id, row["raw"], row["province"], row["city"], row["district"], row["detail"], at),
        ).lastrowid
        product_id = execute(
            "INSERT INTO installed_products (customer_id, model, serial_number, purchase_date, warranty_end,"
            " created_at) VALUES (?, ?, ?, ?, '2028-03-01', ?)",
            (customer_id, row["model"], row["serial"], row["purchase_date"].isoformat(), at),
        ).lastrowid
        execute("INSERT INTO ticket_number_sequences (day, last_value) VALUES (?, 0) ON CONFLICT DO NOTHING", (key,))
        value = execute(
            "UPDATE ticket_number_sequences SET last_value = last_value + 1 WHERE day = ? RETURNING last_value",
            (key,),
        ).fetchone()[0]
        number = f"SH{key}-{value:06d}"
        ticket_id = execute(
            "INSERT INTO tickets (number, kind, priority, status, channel, customer_id, address_id,"
            " installed_product_id, product_model, description, external_id, reported_at, created_at, updated_at,"
            " created_by_id, sla_state, reopen_count, triage, version)"
            " VALUES (?, ?, ?, 'registered', ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, 'on_track', 0, NULL, 1)",
            (
                number,
                row["kind"],
                row["priority"],
                row["channel"],
                customer_id,
                address_id,
                product_id,
                row["model"],
                row["description"],
                at,
                at,
                at,
                user_id,
            ),
        ).lastrowid
        execute(
            "INSERT INTO ticket_events (ticket_id, type, at, recorded_at, actor_id, actor_name, to_status, data)"
            " VALUES (?, 'register', ?, ?, ?, 'bench', 'registered', ?)",
            (ticket_id, at, at, user_id, json.dumps({"channel": row["channel"]})),
        )
        connection.executemany(
            "INSERT INTO sla_targets (ticket_id, kind, calendar_id, started_at, duration_seconds, warning_ratio,"
            " paused_seconds, warn_at, due_at, state, next_check_at) VALUES (?, ?, ?, ?, ?, 0.8, 0, ?, ?, 'on_track', ?)",
            [
                (
                    ticket_id,
                    kind,
                    calendar_id,
                    at,
                    seconds,
                    _ts(now + timedelta(seconds=seconds * 0.8)),
                    _ts(now + timedelta(seconds=seconds)),
                    _ts(now + timedelta(seconds=seconds * 0.8)),
                )
                for kind, seconds in TARGETS
            ],
        )
        after = {"number": number, "status": "registered", "kind": row["kind"], "priority": row["priority"]}
        execute(
            "INSERT INTO audit_log (at, actor_id, actor_name, action, entity_type, entity_id, after)"
            " VALUES (?, ?, 'bench', 'ticket.created', 'ticket', ?, ?)",
            (at, user_id, str(ticket_id), json.dumps(after)),
        )
        execute("COMMIT")
    except BaseException:
        execute("ROLLBACK")
        raise


def prepare_database(path: Path, mode: str) -> tuple[Engine, int, int]:
    """A migrated, seeded SQLite file with one agent; returns (engine, user id, 7x24 calendar id)."""
    engine = make_engine(f"sqlite:///{path}", sqlite_synchronous=mode)
    migrate.upgrade(engine)
    with engine.begin() as connection:
        with Session(bind=connection) as session:
            seed_defaults(session)
        user_id = connection.execute(
            insert(User).values(
                username="bench", display_name="bench", role="agent", is_active=True, created_at=datetime.now(UTC)
            )
        ).inserted_primary_key[0]
        calendar_id = connection.execute(select(Calendar.id).where(Calendar.code == "7x24")).scalar_one()
    return engine, int(user_id), int(calendar_id)


def run_mode(mode: str, variant: str, *, duration: float, rows: list[dict[str, Any]], workdir: Path) -> dict[str, Any]:
    """Insert tickets for ``duration`` seconds (after 50 warm-up tickets) and count them."""
    path = workdir / f"raw-{variant}-{mode.lower()}.db"
    engine, user_id, calendar_id = prepare_database(path, mode)
    connection: sqlite3.Connection | None = None
    if variant in ("core", "core-inline"):
        inline = variant == "core-inline"

        def insert_one(row: dict[str, Any], now: datetime) -> None:
            insert_one_core(engine, row, user_id=user_id, calendar_id=calendar_id, now=now, inline=inline)

    else:
        engine.dispose()
        connection = sqlite3.connect(path, isolation_level=None, timeout=30)
        for pragma in ("journal_mode=WAL", f"synchronous={mode}", "busy_timeout=30000", "foreign_keys=ON"):
            connection.execute(f"PRAGMA {pragma}")
        dbapi = connection

        def insert_one(row: dict[str, Any], now: datetime) -> None:
            insert_one_dbapi(dbapi, row, user_id=user_id, calendar_id=calendar_id, now=now)

    for row in rows[:50]:  # warm the statement caches
        insert_one(row, datetime.now(UTC))
    count = 0
    started, cpu, machine = time.perf_counter(), time.process_time(), busy_cpu_seconds()
    deadline = started + duration
    for row in rows[50:]:
        insert_one(row, datetime.now(UTC))
        count += 1
        if time.perf_counter() >= deadline:
            break
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    others = max(0.0, busy_cpu_seconds() - machine - cpu) / elapsed
    if connection is not None:
        connection.close()
    check = sqlite3.connect(path)
    stored, targets, numbers = check.execute(
        "SELECT (SELECT count(*) FROM tickets), (SELECT count(*) FROM sla_targets),"
        " (SELECT count(DISTINCT number) FROM tickets)"
    ).fetchone()
    check.close()
    engine.dispose()
    return {
        "variant": variant,
        "synchronous": mode,
        "tickets": count,
        "elapsed_s": round(elapsed, 2),
        "tickets_per_s": round(count / elapsed, 1),
        "ms_per_ticket": round(elapsed / count * 1000, 3),
        "cpu_ms_per_ticket": round(cpu / count * 1000, 3),
        "other_processes_cores": round(others, 2),
        "rows_per_ticket": 10,
        "statements_per_ticket": 14,  # BEGIN IMMEDIATE, 11 writes (3 targets in one executemany), COMMIT
        "tickets_in_database": stored,
        "distinct_numbers": numbers,
        "sla_targets_in_database": targets,
        "ran_out_of_rows": count == len(rows) - 50,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", nargs="+", default=["FULL", "NORMAL"], choices=["FULL", "NORMAL", "OFF"])
    parser.add_argument("--variants", nargs="+", default=["core", "dbapi"], choices=["core", "core-inline", "dbapi"])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per mode and variant")
    parser.add_argument("--max-tickets", type=int, default=60_000)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--repeat", type=int, default=1, help="rounds over all variants and modes (median reported)")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--commit", metavar="REV", help="measure src/ as of this git revision (default: working tree)")
    args = parser.parse_args()
    run_at_commit()

    result: dict[str, Any] = {"benchmark": "raw_insert", "machine": machine_info(), "runs": [], "median": []}
    rows = prepared_rows(min(args.max_tickets, MAX_TICKETS) + 50, args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="aftersales-bench-raw-"))
    try:
        for round_number in range(1, args.repeat + 1):
            for variant in args.variants:
                for mode in args.modes:
                    print(f"# round {round_number}: {variant} {mode}, {args.duration:.0f} s", file=sys.stderr)
                    figures = run_mode(mode, variant, duration=args.duration, rows=rows, workdir=workdir)
                    figures["round"] = round_number
                    print(
                        f"# -> {figures['tickets_per_s']} tickets/s "
                        f"(other processes used {figures['other_processes_cores']} cores)",
                        file=sys.stderr,
                    )
                    result["runs"].append(figures)
                    (workdir / f"raw-{variant}-{mode.lower()}.db").unlink(missing_ok=True)
        for variant in args.variants:
            for mode in args.modes:
                runs = [r for r in result["runs"] if r["variant"] == variant and r["synchronous"] == mode]
                rates = sorted(r["tickets_per_s"] for r in runs)
                result["median"].append(
                    {
                        "variant": variant,
                        "synchronous": mode,
                        "tickets_per_s_median": statistics.median(rates),
                        "tickets_per_s_min": rates[0],
                        "tickets_per_s_max": rates[-1],
                        "cpu_ms_per_ticket_median": statistics.median(r["cpu_ms_per_ticket"] for r in runs),
                        "ms_per_ticket_median": statistics.median(r["ms_per_ticket"] for r in runs),
                        "runs": len(runs),
                    }
                )
    finally:
        if args.keep:
            result["workdir"] = str(workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    path = write_result("raw_insert", result)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"# written to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
