"""Intake on a realistic database: the demo's field network with today's day plans, published bulletins and a
trained triage model; 5 % of the requests are urgent repairs in the planned cities.

Builds the database through the real CLI (``db upgrade``, ``demo --now``, ``triage train``), starts
``aftersales serve --no-jobs [--workers N]`` as if at ``--now`` (AFTERSALES_CLOCK_START, demo mode), makes
today's plan for each planned city through the API, then measures like ``api_create.py``:

(a) throughput: N concurrent clients POST /api/v1/tickets back to back (closed loop);
(b) fixed rate: 100 requests/s for 30 s, latency from each request's scheduled time (open loop);
(c) dispatch after commit: for every field ticket created, the time from its registration (``created_at``,
    a few ms before its 201) to its first dispatch decision on the timeline (``dispatch`` or
    ``escalation``), read from the database once the dispatcher has drained; p50/p95/max for urgent ones.

SQLite by default (a temporary file, synchronous FULL); ``--postgres URL`` uses a PostgreSQL server (the
database named in the URL is dropped and created again). Loopback only; every loop is bounded.

    .venv/bin/python bench/intake.py                          # SQLite, one server process
    .venv/bin/python bench/intake.py --server-workers 2
    .venv/bin/python bench/intake.py --postgres postgresql+psycopg://postgres@127.0.0.1:54333/bench --server-workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2
from api_create import AFTERSALES, CpuMeter, closed_loop, encode, fixed_rate, free_port, run_cli, wait_healthy
from common import BodyFactory, finish_run, latency_summary_ms, machine_info, run_at_commit
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PLANNED_AREAS = ("深圳市", "上海市")
URGENT_ADDRESSES = (
    "广东省深圳市南山区科技园南区高新南七道{n}号",
    "广东省深圳市福田区深南中路{n}号",
    "上海市浦东新区张江路{n}号",
    "上海市徐汇区漕溪北路{n}号",
)
URGENT_WORDS = ("锁门外", "开不了门", "报警", "漏水", "焦味")
ROUTINE_TEXT = "{p}指纹识别失败，试了好几次都提示验证失败，现在只能用密码开门"


def realistic_bodies(factory: BodyFactory, count: int, *, urgent_share: float, seed: int) -> list[bytes]:
    """``count`` bodies: ``urgent_share`` urgent repairs in a planned city, the rest never urgent."""
    rng = random.Random(seed)
    bodies = []
    for index in range(count):
        body = factory.body()
        if rng.random() < urgent_share:
            body.update(
                kind="repair", priority="urgent", description="被锁门外了！智能锁密码和指纹都打不开，请尽快派人"
            )
            body["customer"] = dict(
                body["customer"], address=rng.choice(URGENT_ADDRESSES).format(n=rng.randint(1, 999))
            )
            body.pop("external_id", None)
        else:
            if any(word in body["description"] for word in URGENT_WORDS):
                body["description"] = ROUTINE_TEXT.format(p="智能锁")
            if body.get("priority") == "urgent" or "priority" not in body:
                body["priority"] = "routine" if body.get("kind") != "complaint" else "complex"
        if "external_id" in body:
            body["external_id"] = f"{body['external_id']}-{index}"
        bodies.append(encode(body))
    return bodies


def fresh_postgres(url: str) -> None:
    """Drop and create the database named in ``url`` (through the server's ``postgres`` database)."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def dispatch_latencies(url: str, first_ticket_id: int, *, wait_seconds: float) -> dict[str, Any]:
    """Wait until no dispatch request is pending, then the created → decision times of the new field tickets."""
    engine = create_engine(url)
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            with engine.connect() as connection:
                pending = connection.execute(
                    text("SELECT count(*) FROM dispatch_requests WHERE done_at IS NULL AND ticket_id >= :first"),
                    {"first": first_ticket_id},
                ).scalar_one()
            if pending == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT t.id, t.priority, t.created_at, min(e.recorded_at) FROM tickets t "
                    "JOIN dispatch_requests r ON r.ticket_id = t.id "
                    "LEFT JOIN ticket_events e ON e.ticket_id = t.id AND e.type IN ('dispatch', 'escalation') "
                    "WHERE t.id >= :first GROUP BY t.id, t.priority, t.created_at"
                ),
                {"first": first_ticket_id},
            ).all()
            decided = connection.execute(
                text(
                    "SELECT count(*) FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id "
                    "WHERE t.id >= :first AND t.priority = 'urgent' AND e.type = 'dispatch' "
                    "AND e.note LIKE '紧急插单%'"
                ),
                {"first": first_ticket_id},
            ).scalar_one()
    finally:
        engine.dispose()

    def seconds(created: Any, decided_at: Any) -> float:
        from datetime import datetime

        parse = datetime.fromisoformat
        a = parse(created) if isinstance(created, str) else created
        b = parse(decided_at) if isinstance(decided_at, str) else decided_at
        return (b - a).total_seconds()

    urgent = [seconds(c, d) for _, p, c, d in rows if p == "urgent" and d is not None]
    field = [seconds(c, d) for _, _, c, d in rows if d is not None]
    return {
        "pending_after_wait": pending,
        "field_tickets": len(rows),
        "field_without_decision": sum(1 for row in rows if row[3] is None),
        "urgent_tickets": sum(1 for row in rows if row[1] == "urgent"),
        "urgent_inserted_into_a_plan": decided,
        "urgent_created_to_decision": latency_summary_ms(urgent),
        "field_created_to_decision": latency_summary_ms(field),
    }


def max_ticket_id(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT coalesce(max(id), 0) FROM tickets")).scalar_one())
    finally:
        engine.dispose()


def make_plans(base: str, token: str, seconds: float) -> dict[str, Any]:
    made = {}
    with httpx2.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
        for area in PLANNED_AREAS:
            reply = client.post("/api/v1/dispatch/plans", json={"area": area, "seconds": seconds})
            reply.raise_for_status()
            plan = reply.json()
            made[area] = {
                "routes": len(plan.get("routes", [])),
                "stops": sum(len(route.get("stops", [])) for route in plan.get("routes", [])),
                "unassigned": len(plan.get("unassigned", [])),
            }
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL database URL (dropped and re-created)")
    parser.add_argument("--server-workers", type=int, default=1)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--rate-duration", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--urgent-share", type=float, default=0.05)
    parser.add_argument("--demo-tickets", type=int, default=2000)
    parser.add_argument("--now", default="2026-11-25T10:00:00+08:00", help="the instant the server runs at")
    parser.add_argument("--plan-seconds", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument(
        "--dispatcher",
        choices=["server", "worker"],
        default="server",
        help="who decides dispatch requests: a thread of each server process, or one `aftersales worker`",
    )
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--commit", metavar="REV", help="measure src/ as of this git revision")
    args = parser.parse_args()
    run_at_commit()

    workdir = Path(tempfile.mkdtemp(prefix="aftersales-bench-intake-"))
    if args.postgres:
        fresh_postgres(args.postgres)
        url = args.postgres
    else:
        url = f"sqlite:///{workdir / 'bench.db'}"
    env = {
        **os.environ,
        "AFTERSALES_DATABASE_URL": url,
        "AFTERSALES_SQLITE_SYNCHRONOUS": "FULL",
        "AFTERSALES_RUN_JOBS_IN_PROCESS": "false",
        "AFTERSALES_LOG_LEVEL": "WARNING",
        "AFTERSALES_ENV": "demo",
        "AFTERSALES_SECRET_KEY": "bench-signing-key",
        "AFTERSALES_CLOCK_START": args.now,
    }
    print(f"# workdir {workdir}; database {make_url(url).get_backend_name()}", file=sys.stderr)
    started = time.monotonic()
    run_cli(["db", "upgrade"], env)
    run_cli(["demo", "--tickets", str(args.demo_tickets), "--days", "30", "--now", args.now], env)
    model = json.loads(run_cli(["triage", "train", "--corpus-only"], env))
    agent = run_cli(["tokens", "create", "--username", "agent"], env).strip().splitlines()[-1]
    dispatcher = run_cli(["tokens", "create", "--username", "dispatcher"], env).strip().splitlines()[-1]
    setup_seconds = time.monotonic() - started
    first_new_ticket = max_ticket_id(url) + 1

    factory = BodyFactory(seed=args.seed)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (workdir / "server.log").open("wb")
    server_env = env | ({"AFTERSALES_DISPATCH_IN_SERVER": "false"} if args.dispatcher == "worker" else {})
    server = subprocess.Popen(
        [AFTERSALES, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-jobs"]
        + (["--workers", str(args.server_workers)] if args.server_workers > 1 else []),
        env=server_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    worker = (
        subprocess.Popen(
            [AFTERSALES, "worker"],
            env=env | {"AFTERSALES_DISPATCH_POLL_SECONDS": "0.5"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        if args.dispatcher == "worker"
        else None
    )
    result: dict[str, Any] = {
        "benchmark": "intake",
        "machine": machine_info(),
        "config": {
            "database": make_url(url).get_backend_name(),
            "synchronous": "FULL" if not args.postgres else None,
            "server": f"aftersales serve --no-jobs --workers {args.server_workers}",
            "clients": args.clients,
            "duration_s": args.duration,
            "rate_per_s": args.rate,
            "rate_duration_s": args.rate_duration,
            "urgent_share": args.urgent_share,
            "demo_tickets": args.demo_tickets,
            "server_now": args.now,
            "dispatcher": args.dispatcher,
        },
        "setup_s": round(setup_seconds, 1),
        "triage_model": {key: model.get(key) for key in ("version", "source", "active")},
    }
    try:
        result["startup_s"] = round(wait_healthy(base, server), 2)
        result["plans"] = make_plans(base, dispatcher, args.plan_seconds)
        print(f"# plans {result['plans']}; warming up", file=sys.stderr)
        warm = realistic_bodies(factory, 2_000, urgent_share=args.urgent_share, seed=args.seed + 1)
        result["warmup"] = asyncio.run(closed_loop(base, agent, warm, clients=4, duration=args.warmup))["statuses"]
        time.sleep(2)
        budget = int(args.duration * 1_500)
        bodies = realistic_bodies(factory, budget, urgent_share=args.urgent_share, seed=args.seed + 2)
        print(f"# throughput: {args.clients} clients for {args.duration:.0f} s", file=sys.stderr)
        meter = CpuMeter(server.pid)
        phase = asyncio.run(closed_loop(base, agent, bodies, clients=args.clients, duration=args.duration))
        phase["cpu"] = meter.stop()
        result["throughput"] = phase
        print(f"# -> {phase['tickets_per_s']} tickets/s, p99 {phase['latency']['p99_ms']} ms", file=sys.stderr)
        time.sleep(3)
        count = int(args.rate * args.rate_duration)
        bodies = realistic_bodies(factory, count, urgent_share=args.urgent_share, seed=args.seed + 3)
        print(f"# fixed rate: {args.rate:.0f}/s for {args.rate_duration:.0f} s", file=sys.stderr)
        meter = CpuMeter(server.pid)
        phase = asyncio.run(fixed_rate(base, agent, bodies, rate=args.rate))
        phase["cpu"] = meter.stop()
        result["fixed_rate"] = phase
        lat = phase["latency_from_schedule"]
        print(f"# -> p50 {lat['p50_ms']} ms, p99 {lat['p99_ms']} ms, max {lat['max_ms']} ms", file=sys.stderr)
        result["dispatch"] = dispatch_latencies(url, first_new_ticket, wait_seconds=120)
        urgent = result["dispatch"]["urgent_created_to_decision"]
        print(f"# dispatch: urgent p95 {urgent['p95_ms']} ms, max {urgent['max_ms']} ms", file=sys.stderr)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)
        log.close()
    name = f"intake-{make_url(url).get_backend_name()}-w{args.server_workers}-c{args.clients}-{args.dispatcher}"
    finish_run(name, result, workdir, keep=args.keep)


if __name__ == "__main__":
    main()
