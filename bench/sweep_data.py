"""Data for ``bench/sweep.py``: a large, consistent ticket history with its SLA targets.

Target times come from the project's own ``sla.rules.plan_targets`` under the seeded policies; every ticket's
targets are left as the sweeps up to ``previous_sweep`` would have left them (warned, breached, met, paused).
Rows are generated in worker processes and bulk-loaded: sqlite3 ``executemany`` with secondary indexes
dropped and recreated from the schema's own DDL, or PostgreSQL ``COPY`` into a template database.
"""

from __future__ import annotations

import multiprocessing
import random
import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import DESCRIPTIONS, GIVEN_NAMES, PRODUCTS, SURNAMES
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from aftersales.core import migrate
from aftersales.core.db import make_engine, make_session_factory, unit_of_work
from aftersales.sla import rules as sla_rules
from aftersales.sla import service as sla_service
from aftersales.sla.defaults import seed_defaults
from aftersales.sla.enums import SlaState
from aftersales.tickets import rules as ticket_rules
from aftersales.triage.defaults import seed_rules

SWEEP_AT = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai, inside service hours
CHUNK = 20_000
SHANGHAI_OFFSET = 8 * 3600

TICKET_COLUMNS = [
    "id",
    "number",
    "kind",
    "priority",
    "status",
    "channel",
    "customer_id",
    "address_id",
    "installed_product_id",
    "product_model",
    "description",
    "external_id",
    "reported_at",
    "created_at",
    "updated_at",
    "created_by_id",
    "assignee_id",
    "organisation_id",
    "sla_state",
    "first_contact_at",
    "resolved_at",
    "closed_at",
    "reopen_count",
    "triage",
    "version",
]
TARGET_COLUMNS = [
    "ticket_id",
    "kind",
    "calendar_id",
    "started_at",
    "duration_seconds",
    "warning_ratio",
    "paused_seconds",
    "paused_since",
    "warn_at",
    "due_at",
    "warned_at",
    "breached_at",
    "met_at",
    "state",
    "next_check_at",
]

KINDS = (("repair", 55), ("installation", 20), ("consultation", 15), ("complaint", 10))
PRIORITIES = (("routine", 75), ("complex", 15), ("urgent", 10))
OPEN_STATUSES = (("registered", 15), ("in_progress", 55), ("on_hold", 10), ("resolved", 12), ("visited", 8))
CHANNELS = ("hotline", "hotline", "hotline", "web", "app", "wechat", "api")
CENTERS = 12
TECHNICIANS_PER_CENTER = 20


@dataclass(frozen=True)
class Policy:
    spec: sla_rules.PolicySpec
    calendar: sla_rules.CalendarSpec
    calendar_id: int


@dataclass(frozen=True)
class BuildConfig:
    tickets: int
    open_tickets: int
    customers: int
    backlog_minutes: float
    seed: int

    @property
    def previous_sweep(self) -> datetime:
        return SWEEP_AT - timedelta(minutes=self.backlog_minutes)

    def name(self) -> str:
        return f"sweep-{self.tickets}-{self.open_tickets}-{self.customers}-{self.backlog_minutes:g}m-{self.seed}"


# Set in the parent before the worker pool forks.
POLICIES: dict[str, Policy] = {}
TECHNICIANS: list[tuple[int, int]] = []  # (user id, organisation id)
CREATED_BY = 2


def weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([name for name, _ in table], weights=[weight for _, weight in table])[0]


def stamp(value: datetime | None) -> str | None:
    """What SQLAlchemy stores for a UTCDateTime on SQLite: naive UTC text with microseconds."""
    return None if value is None else f"{value:%Y-%m-%d %H:%M:%S.%f}"


def fraction(rng: random.Random, late_share: float) -> float:
    """Share of a target's time used before it was met; ``late_share`` of them run past the due time."""
    return rng.uniform(1.0, 1.6) if rng.random() < late_share else rng.uniform(0.05, 0.95)


def target_row(
    ticket_id: int,
    plan: sla_rules.TargetPlan,
    policy: Policy,
    start: datetime,
    *,
    met_at: datetime | None,
    paused_since: datetime | None,
    as_of: datetime,
) -> tuple[tuple[Any, ...], SlaState]:
    """One sla_targets row as the sweeps up to ``as_of`` would have left it."""
    horizon = min(moment for moment in (met_at, paused_since, as_of) if moment is not None)
    warned_at = plan.warn_at if plan.warn_at <= horizon else None
    breached_at = plan.due_at if plan.due_at <= horizon else None
    status = sla_rules.TargetStatus(
        due_at=plan.due_at, warn_at=plan.warn_at, met_at=met_at, paused_since=paused_since, breached_at=breached_at
    )
    state = sla_rules.target_state(status, as_of)
    next_check = sla_rules.next_check_at(status, warned=warned_at is not None)
    row = (
        ticket_id,
        plan.kind.value,
        policy.calendar_id,
        start,
        int(plan.duration.total_seconds()),
        policy.spec.warning_ratio,
        0,
        paused_since,
        plan.warn_at,
        plan.due_at,
        warned_at,
        breached_at,
        met_at,
        state.value,
        next_check,
    )
    return row, state


def make_ticket(
    rng: random.Random, ticket_id: int, number: str, reported: datetime, is_open: bool, config: BuildConfig
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """One ticket and its targets, consistent with the lifecycle and with what the sweeps already did."""
    kind = weighted(rng, KINDS)
    priority = weighted(rng, PRIORITIES)
    policy = POLICIES[priority]
    plans = sla_rules.plan_targets(policy.spec, policy.calendar, start=reported, ticket_kind=kind)
    first, resolution = plans[0], plans[-1]
    onsite = plans[1] if len(plans) == 3 else None
    as_of = config.previous_sweep if is_open else SWEEP_AT

    contact_at = reported + (first.due_at - reported) * fraction(rng, 0.06)
    onsite_at = contact_at + (onsite.due_at - reported) * fraction(rng, 0.1) * 0.5 if onsite is not None else None
    resolved_at = max(
        reported + (resolution.due_at - reported) * fraction(rng, 0.08),
        (onsite_at or contact_at) + timedelta(minutes=rng.randint(10, 120)),
    )
    met: dict[str, datetime | None] = {"first_response": None, "onsite": None, "resolution": None}
    paused: datetime | None = None
    closed_at = None
    first_contact_at = None
    status: str
    if not is_open:
        if rng.random() < 0.07:
            status = "cancelled"
            cancel_at = reported + (resolution.due_at - reported) * rng.uniform(0.02, 0.4)
            first_contact_at = contact_at if contact_at < cancel_at else None
            met = {key: cancel_at for key in met}
            if first_contact_at is not None:
                met["first_response"] = first_contact_at
            resolved_at = None
            updated_at = cancel_at
        else:
            status = "closed"
            first_contact_at = contact_at
            met = {"first_response": contact_at, "onsite": onsite_at, "resolution": resolved_at}
            closed_at = resolved_at + timedelta(hours=rng.uniform(2, 96))
            updated_at = closed_at
    else:
        wanted = "registered" if reported >= as_of else weighted(rng, OPEN_STATUSES)
        # A step that would lie after the last sweep has not happened yet: the ticket is one step earlier.
        if wanted in ("resolved", "visited") and resolved_at >= as_of:
            wanted = "in_progress"
        if wanted in ("in_progress", "on_hold") and contact_at >= as_of:
            wanted = "registered"
        status = wanted
        updated_at = reported
        if status != "registered":
            first_contact_at = contact_at
            met["first_response"] = contact_at
            updated_at = contact_at
        if status in ("resolved", "visited"):
            met["onsite"], met["resolution"] = onsite_at, resolved_at
            updated_at = resolved_at
        else:
            resolved_at = None
            if status == "in_progress" and onsite_at is not None and onsite_at < as_of and rng.random() < 0.6:
                met["onsite"] = onsite_at
                updated_at = onsite_at
            if status == "on_hold":
                paused = contact_at + (as_of - contact_at) * rng.uniform(0.1, 0.9)
                if onsite_at is not None and onsite_at < paused:
                    met["onsite"] = onsite_at
                updated_at = paused
    targets = []
    states = []
    for plan in plans:
        met_at = met[plan.kind.value]
        paused_since = paused if plan.kind.value != "first_response" and met_at is None else None
        row, state = target_row(
            ticket_id, plan, policy, reported, met_at=met_at, paused_since=paused_since, as_of=as_of
        )
        targets.append(row)
        states.append(state)
    assignee, organisation = rng.choice(TECHNICIANS) if first_contact_at is not None else (None, None)
    template, _, _ = rng.choice(DESCRIPTIONS)
    model, product_name, _ = rng.choice(PRODUCTS)
    version = {"registered": 1, "in_progress": 2, "on_hold": 3, "resolved": 3, "visited": 4, "closed": 5}.get(status, 2)
    ticket = (
        ticket_id,
        number,
        kind,
        priority,
        status,
        rng.choice(CHANNELS),
        rng.randint(1, config.customers),
        None,
        None,
        model,
        template.format(p=product_name),
        None,
        reported,
        reported,
        updated_at,
        CREATED_BY,
        assignee,
        organisation,
        sla_rules.combine_states(states).value,
        first_contact_at,
        resolved_at,
        closed_at,
        0,
        None,
        version,
    )
    return ticket, targets


def make_chunk(job: tuple[BuildConfig, int, list[tuple[float, bool, str]], bool]) -> tuple[list[tuple], list[tuple]]:
    """Tickets ``first_id``… from their (reported epoch, is open, number); text timestamps for SQLite."""
    config, first_id, items, as_text = job
    rng = random.Random(config.seed * 1_000_003 + first_id)
    tickets, targets = [], []
    for offset, (epoch, is_open, number) in enumerate(items):
        reported = datetime.fromtimestamp(epoch, UTC)
        ticket, ticket_targets = make_ticket(rng, first_id + offset, number, reported, is_open, config)
        tickets.append(ticket)
        targets.extend(ticket_targets)
    if as_text:
        tickets = [tuple(stamp(v) if isinstance(v, datetime) else v for v in row) for row in tickets]
        targets = [tuple(stamp(v) if isinstance(v, datetime) else v for v in row) for row in targets]
    return tickets, targets


def schedule(config: BuildConfig) -> list[tuple[float, bool, str]]:
    """(reported epoch, is open, number) for every ticket, oldest first: ids follow registration order."""
    rng = random.Random(config.seed)
    end = SWEEP_AT.timestamp()
    closed_newest = end - 12 * 86400  # closed work: old enough for its whole loop to lie in the past
    closed_oldest = end - 2 * 365 * 86400
    items = [(rng.uniform(closed_oldest, closed_newest), False) for _ in range(config.tickets - config.open_tickets)]
    # Open work is mostly recent; a tail of old, long-breached tickets remains.
    items += [(rng.triangular(end - 5 * 86400, end, end), True) for _ in range(config.open_tickets)]
    items.sort()
    numbered = []
    counters: dict[int, int] = {}
    for epoch, is_open in items:
        day = int(epoch + SHANGHAI_OFFSET) // 86400
        counters[day] = counters.get(day, 0) + 1
        local_day = datetime.fromtimestamp(day * 86400, UTC).date()
        numbered.append((epoch, is_open, ticket_rules.format_number("SH", local_day, counters[day])))
    return numbered


def jobs(config: BuildConfig, items: list[tuple[float, bool, str]], as_text: bool) -> Iterator[tuple]:
    for start in range(0, len(items), CHUNK):
        yield (config, start + 1, items[start : start + CHUNK], as_text)


def load_policies(engine: Engine) -> None:
    with Session(engine) as session:
        for priority in ("urgent", "routine", "complex"):
            policy = sla_service.get_policy(session, priority)
            POLICIES[priority] = Policy(
                spec=sla_service.policy_spec(policy),
                calendar=sla_service.calendar_spec(session, policy.calendar_id),
                calendar_id=policy.calendar_id,
            )


def reference_rows(config: BuildConfig) -> dict[str, list[tuple]]:
    """Organisations, users (admin, agent, managers, technicians) and customers."""
    created = datetime(2024, 1, 1, tzinfo=UTC)
    organisations = [(1, "HQ", "总部", "hq", None, "深圳", created)]
    for region in range(3):
        organisations.append((2 + region, f"R{region}", f"大区{region}", "region", 1, None, created))
    for center in range(CENTERS):
        organisations.append(
            (5 + center, f"C{center:02d}", f"服务中心{center:02d}", "service_center", 2 + center % 3, None, created)
        )
    users = [
        (1, "admin", "管理员", "admin", 1, None, True, created),
        (2, "agent", "坐席", "agent", 1, None, True, created),
        (3, "hq-manager", "总监", "manager", 1, None, True, created),
    ]
    TECHNICIANS.clear()
    next_id = 4
    for center in range(CENTERS):
        manager_id = next_id
        users.append((manager_id, f"mgr{center:02d}", f"中心经理{center:02d}", "manager", 5 + center, 3, True, created))
        next_id += 1
        for tech in range(TECHNICIANS_PER_CENTER):
            users.append(
                (
                    next_id,
                    f"tech{center:02d}-{tech:02d}",
                    f"师傅{next_id}",
                    "technician",
                    5 + center,
                    manager_id,
                    True,
                    created,
                )
            )
            TECHNICIANS.append((next_id, 5 + center))
            next_id += 1
    rng = random.Random(config.seed + 1)
    customers = [
        (
            index,
            rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES),
            f"1{3_000_000_000 + index * 37:010d}",
            "mobile",
            created,
        )
        for index in range(1, config.customers + 1)
    ]
    return {"organisations": organisations, "users": users, "customers": customers}


# --- SQLite ------------------------------------------------------------------------------------------


def build_sqlite(config: BuildConfig, path: Path, processes: int) -> dict[str, Any]:
    started = time.monotonic()
    path.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        seed_defaults(session)
        seed_rules(session)
    load_policies(engine)
    engine.dispose()

    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-1000000")
    indexes = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        " AND tbl_name IN ('tickets', 'sla_targets', 'customers')"
    ).fetchall()
    for name, _ in indexes:
        connection.execute(f'DROP INDEX "{name}"')
    reference = reference_rows(config)
    connection.execute("BEGIN")
    connection.executemany(
        "INSERT INTO organisations (id, code, name, kind, parent_id, city, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(*row[:-1], stamp(row[-1])) for row in reference["organisations"]],
    )
    connection.executemany(
        "INSERT INTO users (id, username, display_name, role, organisation_id, supervisor_id, is_active, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(*row[:-1], stamp(row[-1])) for row in reference["users"]],
    )
    connection.executemany(
        "INSERT INTO customers (id, name, phone, phone_kind, created_at) VALUES (?, ?, ?, ?, ?)",
        [(*row[:-1], stamp(row[-1])) for row in reference["customers"]],
    )
    connection.execute("COMMIT")
    print(f"# reference data in {time.monotonic() - started:.0f} s", file=sys.stderr)

    items = schedule(config)
    ticket_sql = f"INSERT INTO tickets ({', '.join(TICKET_COLUMNS)}) VALUES ({', '.join('?' * len(TICKET_COLUMNS))})"
    target_sql = (
        f"INSERT INTO sla_targets ({', '.join(TARGET_COLUMNS)}) VALUES ({', '.join('?' * len(TARGET_COLUMNS))})"
    )
    done = 0
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        for tickets, targets in pool.imap(make_chunk, jobs(config, items, as_text=True)):
            connection.execute("BEGIN")
            connection.executemany(ticket_sql, tickets)
            connection.executemany(target_sql, targets)
            connection.execute("COMMIT")
            done += len(tickets)
            if done % 100_000 < CHUNK:
                print(f"# {done:>9,} tickets after {time.monotonic() - started:.0f} s", file=sys.stderr)
    connection.execute("BEGIN")
    counters: dict[str, int] = {}
    for _, _, number in items:
        day, sequence = number[2:10], int(number.rsplit("-", 1)[1])
        counters[day] = max(counters.get(day, 0), sequence)
    connection.executemany("INSERT INTO ticket_number_sequences (day, last_value) VALUES (?, ?)", counters.items())
    connection.execute("COMMIT")
    print(f"# recreating {len(indexes)} indexes", file=sys.stderr)
    for _, sql in indexes:
        connection.execute(sql)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    facts = database_facts(connection, config)
    connection.close()
    facts["build_s"] = round(time.monotonic() - started, 1)
    facts["file_bytes"] = path.stat().st_size
    return facts


def database_facts(connection: Any, config: BuildConfig, placeholder: str = "?") -> dict[str, Any]:
    """Counts that show what the sweep will face (works on sqlite3 and psycopg cursors/connections)."""
    sweep_at: Any = stamp(SWEEP_AT) if placeholder == "?" else SWEEP_AT

    def one(sql: str, *params: Any) -> Any:
        return connection.execute(sql.replace("?", placeholder), params).fetchone()[0]

    open_tickets = one("SELECT count(*) FROM tickets WHERE status NOT IN ('closed', 'cancelled')")
    due_tickets = one(
        "SELECT count(DISTINCT ticket_id) FROM sla_targets WHERE next_check_at IS NOT NULL AND next_check_at <= ?",
        sweep_at,
    )
    return {
        "tickets": one("SELECT count(*) FROM tickets"),
        "open_tickets": open_tickets,
        "sla_targets": one("SELECT count(*) FROM sla_targets"),
        "targets_with_next_check": one("SELECT count(*) FROM sla_targets WHERE next_check_at IS NOT NULL"),
        "due_targets_at_sweep": one(
            "SELECT count(*) FROM sla_targets WHERE next_check_at IS NOT NULL AND next_check_at <= ?", sweep_at
        ),
        "due_tickets_at_sweep": due_tickets,
        "due_share_of_open_pct": round(100 * due_tickets / max(1, open_tickets), 2),
        "customers": one("SELECT count(*) FROM customers"),
        "sweep_at": SWEEP_AT.isoformat(),
        "previous_sweep_at": config.previous_sweep.isoformat(),
    }


# --- PostgreSQL --------------------------------------------------------------------------------------


def pg_admin(url: str) -> Any:
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return psycopg.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.username,
        password=parsed.password,
        dbname="postgres",
        autocommit=True,
    )


def with_database(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


def pg_conninfo(url: str) -> dict[str, Any]:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return {
        "host": parsed.host,
        "port": parsed.port,
        "user": parsed.username,
        "password": parsed.password,
        "dbname": parsed.database,
    }


def build_postgres(config: BuildConfig, url: str, processes: int) -> dict[str, Any]:
    import psycopg

    started = time.monotonic()
    template_name = f"{pg_conninfo(url)['dbname']}_template"
    with pg_admin(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{template_name}"')
        admin.execute(f'CREATE DATABASE "{template_name}"')
    template_url = with_database(url, template_name)
    engine = make_engine(template_url)
    migrate.upgrade(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        seed_defaults(session)
        seed_rules(session)
    load_policies(engine)
    engine.dispose()
    reference = reference_rows(config)
    items = schedule(config)
    with psycopg.connect(**pg_conninfo(template_url)) as connection, connection.cursor() as cursor:
        for table, columns in (
            ("organisations", "id, code, name, kind, parent_id, city, created_at"),
            ("users", "id, username, display_name, role, organisation_id, supervisor_id, is_active, created_at"),
            ("customers", "id, name, phone, phone_kind, created_at"),
        ):
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in reference[table]:
                    copy.write_row(row)
        connection.commit()
        print(f"# reference data in {time.monotonic() - started:.0f} s", file=sys.stderr)
        done = 0
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            for tickets, targets in pool.imap(make_chunk, jobs(config, items, as_text=False)):
                with cursor.copy(f"COPY tickets ({', '.join(TICKET_COLUMNS)}) FROM STDIN") as copy:
                    for row in tickets:
                        copy.write_row(row)
                with cursor.copy(f"COPY sla_targets ({', '.join(TARGET_COLUMNS)}) FROM STDIN") as copy:
                    for row in targets:
                        copy.write_row(row)
                connection.commit()
                done += len(tickets)
                if done % 100_000 < CHUNK:
                    print(f"# {done:>9,} tickets after {time.monotonic() - started:.0f} s", file=sys.stderr)
        counters: dict[str, int] = {}
        for _, _, number in items:
            day, sequence = number[2:10], int(number.rsplit("-", 1)[1])
            counters[day] = max(counters.get(day, 0), sequence)
        cursor.executemany(
            "INSERT INTO ticket_number_sequences (day, last_value) VALUES (%s, %s)", list(counters.items())
        )
        for table in ("organisations", "users", "customers", "tickets"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        connection.commit()
    with psycopg.connect(**pg_conninfo(template_url), autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
        facts = database_facts(connection, config, placeholder="%s")
    facts["build_s"] = round(time.monotonic() - started, 1)
    return facts
