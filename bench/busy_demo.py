"""People at work while the demo's background jobs run (issue 12): after the set-up `make run` does (a
fresh SQLite file, `db upgrade`, `demo`), `aftersales serve` runs with its jobs in-process (hot-issue topics
over the 2,000-ticket history, SLA sweeps, dispatch, notifications, visits) and, for ``--duration`` seconds,
three kinds of work arrive at fixed rates (open loop, latency from each request's scheduled time):

* ticket creation through the API (``--create-rate`` per second, an agent's token);
* saves: an agent edits a ticket's description through the API with its version (``--save-rate``);
* console logins: the login form, then the password check (``--login-rate``, below the per-address limit).

Counts every answer that is not the expected one (201, 200, 303) as an error, and reports p50/p99/max
per kind and per minute, and what the jobs did meanwhile (topics assigned, sweeps).

    .venv/bin/python bench/busy_demo.py [--duration 600]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
from api_create import AFTERSALES, free_port, run_cli, wait_healthy
from common import BodyFactory, finish_run, latency_summary_ms, machine_info, run_at_commit
from sqlalchemy import create_engine, text

EXPECTED = {"create": 201, "save": 200, "login": 303}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=600.0)
    parser.add_argument("--create-rate", type=float, default=10.0)
    parser.add_argument("--save-rate", type=float, default=5.0)
    parser.add_argument("--login-rate", type=float, default=0.25)
    parser.add_argument("--demo-tickets", type=int, default=2000)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--commit", metavar="REV", help="measure src/ as of this git revision")
    args = parser.parse_args()
    run_at_commit()

    workdir = Path(tempfile.mkdtemp(prefix="aftersales-bench-busy-"))
    url = f"sqlite:///{workdir / 'demo.db'}"
    env = {**os.environ, "AFTERSALES_DATABASE_URL": url, "AFTERSALES_ENV": "demo", "AFTERSALES_LOG_LEVEL": "WARNING"}
    started = time.monotonic()
    run_cli(["db", "upgrade"], env)
    run_cli(["demo", "--tickets", str(args.demo_tickets), "--days", "90"], env)
    token = run_cli(["tokens", "create", "--username", "agent"], env).strip().splitlines()[-1]
    setup_s = time.monotonic() - started
    engine = create_engine(url)
    with engine.connect() as connection:
        editable = list(
            connection.execute(text("SELECT id FROM tickets WHERE status NOT IN ('closed', 'cancelled')")).scalars()
        )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (workdir / "server.log").open("wb")
    server = subprocess.Popen(
        [AFTERSALES, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    latencies: dict[str, list[float]] = defaultdict(list)
    per_minute: dict[int, list[float]] = defaultdict(list)
    errors: dict[str, list[str]] = defaultdict(list)
    lock = threading.Lock()
    factory = BodyFactory(seed=20261204)
    local = threading.local()

    def client() -> httpx2.Client:
        if not hasattr(local, "http"):
            local.http = httpx2.Client(base_url=base, timeout=120)
        return local.http

    def create(_: int) -> int:
        body = factory.body()
        body.pop("external_id", None)
        return client().post("/api/v1/tickets", json=body, headers={"Authorization": f"Bearer {token}"}).status_code

    def save(number: int) -> int:
        ticket_id = editable[number % len(editable)]
        headers = {"Authorization": f"Bearer {token}"}
        current = client().get(f"/api/v1/tickets/{ticket_id}", headers=headers).json()
        edit = {"version": current["version"], "description": current["description"][:1900] + "。"}
        reply = client().patch(f"/api/v1/tickets/{ticket_id}", json=edit, headers=headers)
        return 200 if reply.status_code == 409 else reply.status_code  # someone else saved first: fine

    def login(_: int) -> int:
        with httpx2.Client(base_url=base, timeout=120) as http:
            form = http.get("/console/login")
            match = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
            data = {"username": "agent", "password": "demo1234", "login_csrf": match.group(1) if match else ""}
            return http.post("/console/login", data=data, follow_redirects=False).status_code

    actions = {"create": create, "save": save, "login": login}
    try:
        startup_s = wait_healthy(base, server)
        schedule = sorted(
            (index / rate, kind)
            for kind, rate in (("create", args.create_rate), ("save", args.save_rate), ("login", args.login_rate))
            for index in range(int(args.duration * rate))
        )
        print(f"# {len(schedule)} requests over {args.duration:.0f} s while the jobs run", file=sys.stderr)
        origin = time.monotonic()

        def run(item: tuple[int, tuple[float, str]]) -> None:
            number, (at, kind) = item
            delay = origin + at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            try:
                status = actions[kind](number)
            except httpx2.HTTPError as error:
                status, detail = -1, f"{type(error).__name__}: {error}"
            else:
                detail = str(status)
            elapsed = time.monotonic() - (origin + at)
            with lock:
                latencies[kind].append(elapsed)
                per_minute[int(at // 60)].append(elapsed)
                if status != EXPECTED[kind]:
                    errors[kind].append(detail)

        with ThreadPoolExecutor(max_workers=48) as pool:
            list(pool.map(run, enumerate(schedule)))
        with engine.connect() as connection:
            jobs = {
                "topics_assigned": connection.execute(text("SELECT count(*) FROM analytics_ticket_topics")).scalar(),
                "sla_events": connection.execute(
                    text("SELECT count(*) FROM ticket_events WHERE type IN ('sla_warning', 'sla_breached')")
                ).scalar(),
            }
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        engine.dispose()
    result: dict[str, Any] = {
        "benchmark": "busy_demo",
        "machine": machine_info(),
        "config": vars(args),
        "setup_s": round(setup_s, 1),
        "startup_s": round(startup_s, 2),
        "latency": {kind: latency_summary_ms(values) for kind, values in latencies.items()},
        "per_minute_p99_ms": {
            minute: latency_summary_ms(values)["p99_ms"] for minute, values in sorted(per_minute.items())
        },
        "errors": {kind: {"count": len(found), "first": found[:5]} for kind, found in errors.items()},
        "requests": {kind: len(values) for kind, values in latencies.items()},
        "jobs": jobs,
    }
    total_errors = sum(len(found) for found in errors.values())
    print(
        f"# errors {total_errors}; p99 "
        + ", ".join(f"{kind} {summary['p99_ms']} ms" for kind, summary in result["latency"].items()),
        file=sys.stderr,
    )
    finish_run("busy_demo", result, workdir, keep=args.keep)


if __name__ == "__main__":
    main()
