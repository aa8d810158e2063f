"""10 million work orders on PostgreSQL: ticket lists, search, the board, the dashboard and the SLA sweep,
through two API processes and two job workers (issue 12, item 9).

1. ``--build``: builds the database (``scale_data.build``: 10,000,000 tickets over three years with their
   SLA targets, timelines and return visits, 4,000,000 customers, the service network; ~25 GB, ~35 min on
   two cores). Without it the database at ``--url`` is reused (the build's parameters are its comment).
2. Creates the benchmark's users and API tokens with the CLI (``users create``, ``tokens create``).
3. The SLA sweep at the real clock: ``aftersales sla sweep`` as a subprocess (start-up included; the first
   one catches up with everything that came due since the data's moment or the previous run), again, and
   the job itself in-process (``tickets.jobs.sweep_job``) with nothing left to do.
4. Starts ``aftersales serve --workers 2 --no-jobs`` and two ``aftersales worker`` processes (which run the
   sweep every 30 s, dispatch, notifications, return visits and hot-issue topics meanwhile), logs in to the
   console as dispatcher and manager, then times every case ``--repeat`` times, one request at a time,
   after one discarded warm-up request: latency as the client sees it over loopback (p50, p95, max).
5. Prints the claim query's and the list queries' plans (``EXPLAIN``) and writes the result JSON to
   ``bench/results/scale-*.json``.

    .venv/bin/python bench/scale.py --url postgresql+psycopg://postgres@127.0.0.1:54340/aftersales_scale --build
    .venv/bin/python bench/scale.py --url postgresql+psycopg://postgres@127.0.0.1:54340/aftersales_scale
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import scale_data
from common import VENV_BIN, latency_summary_ms, machine_info, run_at_commit, write_result
from sweep_data import pg_conninfo

from aftersales.config import Settings
from aftersales.core.clock import SystemClock
from aftersales.core.db import make_engine, make_session_factory
from aftersales.core.pagination import encode_after
from aftersales.tickets.jobs import sweep_job

PASSWORD = "bench-scale-1234"
USERS = (("bench-admin", "admin"), ("bench-manager", "manager"), ("bench-dispatcher", "dispatcher"))
# Cases timed only five times (none since the dashboard reads daily rollups: a year took 19 s before).
SLOW_CASES: tuple[str, ...] = ()
LIST_TARGET_MS = 200.0
OTHER_TARGET_MS = 1000.0


def cli(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "aftersales"), *args], env=env, capture_output=True, text=True, timeout=900, check=check
    )


def tokens(env: dict[str, str]) -> dict[str, str]:
    """An API token per benchmark user (the users are created on the first run)."""
    found = {}
    for username, role in USERS:
        cli(env, "users", "create", "--username", username, "--role", role, "--password", PASSWORD, check=False)
        found[role] = cli(env, "tokens", "create", "--username", username).stdout.strip().splitlines()[-1]
    return found


def time_sweeps(env: dict[str, str], url: str) -> dict[str, Any]:
    """The CLI twice (catch-up, then nothing due) and the job in-process with nothing due."""
    figures: dict[str, Any] = {}
    for label in ("cli_first", "cli_second"):
        started = time.perf_counter()
        done = cli(env, "sla", "sweep")
        figures[label] = {
            "seconds_including_startup": round(time.perf_counter() - started, 3),
            "output": json.loads(done.stdout.strip().splitlines()[-1]),
        }
        print(f"# sweep {label}: {figures[label]}", file=sys.stderr)
    started = time.perf_counter()
    cli(env, "--help")
    figures["startup_only_seconds (aftersales --help)"] = round(time.perf_counter() - started, 3)
    figures["in_process_job"] = in_process_sweeps(url)
    return figures


def in_process_sweeps(url: str, runs: int = 5, pause: float = 2.0) -> dict[str, Any]:
    """``tickets.jobs.sweep_job`` at the real clock, ``runs`` times ``pause`` seconds apart."""
    settings = Settings(database_url=url, run_jobs_in_process=False)
    engine = make_engine(url, pool_size=settings.db_pool_size)
    factory = make_session_factory(engine)
    found = []
    for index in range(runs):
        if index:
            time.sleep(pause)
        started = time.perf_counter()
        report = sweep_job(factory, SystemClock(), settings)
        found.append((time.perf_counter() - started, report))
    engine.dispose()
    figures = {
        "runs": runs,
        "seconds": [round(seconds, 4) for seconds, _ in found],
        "targets_checked": [report.targets_checked for _, report in found],
        "tickets_changed": [report.tickets_changed for _, report in found],
    }
    print(f"# sweep in process: {figures}", file=sys.stderr)
    return figures


@contextlib.contextmanager
def services(env: dict[str, str], port: int, workdir: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Two API processes (``serve --workers 2``) and two job workers; stopped (by pid) on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    started: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        for name, args in (
            ("serve", ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2", "--no-jobs"]),
            ("worker-1", ["worker"]),
            ("worker-2", ["worker"]),
        ):
            log = (workdir / f"{name}.log").open("wb")
            logs.append(log)
            started.append(
                subprocess.Popen(
                    [str(VENV_BIN / "aftersales"), *args],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        yield started
    finally:
        for process in started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)  # the process group this script started
        for process in started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
        for log in logs:
            log.close()


def wait_healthy(base: str, timeout: float = 120) -> None:
    import httpx2

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx2.HTTPError):
            if httpx2.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise SystemExit("the server did not answer /healthz")


def console_client(base: str, username: str) -> Any:
    import httpx2

    client = httpx2.Client(base_url=base, timeout=180, follow_redirects=False)
    page = client.get("/console/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
    assert token is not None, page.text[:200]
    reply = client.post(
        "/console/login", data={"username": username, "password": PASSWORD, "login_csrf": token.group(1)}
    )
    assert reply.status_code in (200, 303), (reply.status_code, reply.text[:300])
    return client


def samples(url: str, seed: int) -> dict[str, Any]:
    """Real values to look up: ticket ids across the years, a number, phones, recent and old."""
    rng = random.Random(seed)
    with psycopg.connect(**pg_conninfo(url)) as connection:
        top = connection.execute("SELECT max(id) FROM tickets").fetchone()[0]  # type: ignore[index]
        ids = [rng.randint(1, top) for _ in range(40)]
        rows = connection.execute(
            "SELECT t.id, t.number, c.phone, c.name, p.serial_number FROM tickets t"
            " JOIN customers c ON c.id = t.customer_id LEFT JOIN installed_products p ON p.id = t.installed_product_id"
            " WHERE t.id = ANY(%s)",
            (ids,),
        ).fetchall()
        # Keyset cursors at depth: the ticket just before the page, as the previous page's next_after names it.
        cursors = {}
        for depth in (1_000_000, 5_000_000):
            row = connection.execute(
                "SELECT reported_at, id FROM tickets ORDER BY reported_at DESC, id DESC LIMIT 1 OFFSET %s",
                (depth - 1,),
            ).fetchone()
            if row is not None:
                cursors[depth] = encode_after(row[0], row[1])
    return {
        "ids": [row[0] for row in rows],
        "numbers": [row[1] for row in rows],
        "phones": [row[2] for row in rows],
        "names": [row[3] for row in rows],
        "serials": [row[4] for row in rows if row[4]],
        "cursors": cursors,
    }


def cases(found: dict[str, Any]) -> list[tuple[str, str, str, list[str]]]:
    """(group, name, who, paths): each case cycles through its paths."""
    api = "/api/v1/tickets"
    ids, numbers, phones = found["ids"], found["numbers"], found["phones"]
    listed = [
        ("list", "newest 50", [f"{api}"]),
        ("list", "limit=200", [f"{api}?limit=200"]),
        ("list", "status=registered", [f"{api}?status=registered"]),
        ("list", "status=in_progress", [f"{api}?status=in_progress"]),
        ("list", "status=closed", [f"{api}?status=closed"]),
        ("list", "priority=urgent", [f"{api}?priority=urgent"]),
        ("list", "kind=complaint", [f"{api}?kind=complaint"]),
        ("list", "sla_state=breached", [f"{api}?sla_state=breached"]),
        ("list", "sla_state=warning", [f"{api}?sla_state=warning"]),
        ("list", "status=on_hold&priority=urgent", [f"{api}?status=on_hold&priority=urgent"]),
        ("list", "kind=installation&sla_state=breached", [f"{api}?kind=installation&sla_state=breached"]),
        ("list", "offset=10,000", [f"{api}?offset=10000"]),
        ("list", "offset=100,000 (the deepest offset)", [f"{api}?offset=100000"]),
        ("list", "status=closed&offset=100,000", [f"{api}?status=closed&offset=100000"]),
        ("list", "offset=5,000,000 (refused: 422, use after=)", [f"{api}?offset=5000000"]),
        *(
            ("list", f"after= at depth {depth:,}", [f"{api}?after={cursor}"])
            for depth, cursor in sorted(found.get("cursors", {}).items())
        ),
    ]
    searched = [
        ("search", "q=full number", [f"{api}?q={n}" for n in numbers]),
        ("search", "q=full phone", [f"{api}?q={p}" for p in phones]),
        ("search", "q=last 4 digits of a phone", [f"{api}?q={p[-4:]}" for p in phones]),
        ("search", "q=text, rare (焦味)", [f"{api}?q={quote('焦味')}"]),
        ("search", "q=text, common (指纹)", [f"{api}?q={quote('指纹识别')}"]),
        ("search", "q=text, no match (保险丝熔断)", [f"{api}?q={quote('保险丝熔断')}"]),
        ("search", "q=text + status=in_progress", [f"{api}?q={quote('漏水')}&status=in_progress"]),
        ("search", "q=a customer's full name", [f"{api}?q={quote(name)}" for name in found.get("names", [])]),
        ("search", "q=a serial number", [f"{api}?q={quote(serial)}" for serial in found.get("serials", [])]),
        ("search", "q=a serial's first 8 characters", [f"{api}?q={quote(s[:8])}" for s in found.get("serials", [])]),
    ]
    pages = [
        ("ticket", "GET /api/v1/tickets/{id}", [f"{api}/{i}" for i in ids]),
        ("ticket", "console ticket page", [f"/console/tickets/{i}" for i in ids]),
        ("console", "console ticket list", ["/console/tickets"]),
        ("console", "console ticket list, page 400", ["/console/tickets?page=400"]),
        ("console", "console list q=phone", [f"/console/tickets?q={p}" for p in phones]),
        ("board", "console board", ["/console/board"]),
        ("board", "console board, one city", [f"/console/board?city={quote('深圳市')}"]),
        ("dashboard", "console dashboard (30 days)", ["/console/dashboard"]),
        ("dashboard", "console dashboard, 7 days", ["/console/dashboard?start=" + "{week}"]),
        ("dashboard", "console dashboard, a province", [f"/console/dashboard?region={quote('广东省')}"]),
        ("dashboard", "console dashboard, 366 days", ["/console/dashboard?start={year}"]),
        ("dashboard", "GET /api/v1/insights/hot-issues", ["/api/v1/insights/hot-issues"]),
    ]
    who = {"list": "admin", "search": "admin", "ticket": "admin", "console": "dispatcher", "board": "dispatcher"}
    out = []
    for group, name, paths in listed + searched + pages:
        role = who.get(group, "manager")
        if name == "console ticket page":
            role = "dispatcher"
        out.append((group, name, role, paths))
    return out


def measure(
    clients: dict[str, Any], plan: list[tuple[str, str, str, list[str]]], repeat: int, dates: dict[str, str]
) -> list[dict[str, Any]]:
    import httpx2

    results = []
    for group, name, role, paths in plan:
        client = clients[role]
        paths = [path.format(**dates) for path in paths]
        with contextlib.suppress(httpx2.TimeoutException):
            client.get(paths[0])  # warm-up, discarded
        seconds, statuses, sizes = [], {}, []
        # The slowest pages (seconds each) are timed fewer times, so the run stays bounded.
        times = min(repeat, 5) if name in SLOW_CASES else repeat
        for index in range(times):
            path = paths[index % len(paths)]
            started = time.perf_counter()
            try:
                reply = client.get(path)
            except httpx2.TimeoutException:  # counted as a failure with the time waited, never a crash
                seconds.append(time.perf_counter() - started)
                statuses["timeout"] = statuses.get("timeout", 0) + 1
                continue
            seconds.append(time.perf_counter() - started)
            statuses[reply.status_code] = statuses.get(reply.status_code, 0) + 1
            sizes.append(len(reply.content))
            if index == 0 and reply.headers.get("content-type", "").startswith("application/json"):
                body = reply.json()
                if isinstance(body, dict) and "total" in body:
                    statuses["total"] = body["total"]
                    statuses["total_is_exact"] = body.get("total_is_exact")
                    statuses["items"] = len(body.get("items", []))
        summary = latency_summary_ms(seconds)
        target = LIST_TARGET_MS if group in ("list", "search", "console") else OTHER_TARGET_MS
        row = {
            "group": group,
            "case": name,
            "as": role,
            "example": paths[0],
            "statuses": statuses,
            "p50_ms": summary["p50_ms"],
            "p95_ms": summary["p95_ms"],
            "max_ms": summary["max_ms"],
            "target_ms": target,
            "met": bool(summary["max_ms"] is not None and summary["p95_ms"] <= target)
            and set(statuses) - {"total", "total_is_exact", "items"} == {200},
            "mean_bytes": round(sum(sizes) / len(sizes)) if sizes else None,
        }
        print(
            f"# {group:9} {name:42} p50 {row['p50_ms']:8.1f} p95 {row['p95_ms']:8.1f} max {row['max_ms']:8.1f} ms"
            f"  {statuses}",
            file=sys.stderr,
        )
        results.append(row)
    return results


def plans(url: str) -> dict[str, list[str]]:
    """EXPLAIN (ANALYZE, BUFFERS) of the queries the list sends, as the application sends them."""
    queries = {
        "newest 50": "SELECT id FROM tickets ORDER BY reported_at DESC, id DESC LIMIT 50",
        "bounded count": "SELECT count(*) FROM (SELECT id, reported_at FROM tickets LIMIT 1001) AS anon",
        "status=in_progress page": (
            "SELECT id FROM tickets WHERE status = 'in_progress' ORDER BY reported_at DESC, id DESC LIMIT 50"
        ),
        "offset 1,000,000": "SELECT id FROM tickets ORDER BY reported_at DESC, id DESC LIMIT 50 OFFSET 1000000",
        "text search": (
            "SELECT id FROM tickets WHERE description ILIKE '%焦味%' OR number ILIKE '%焦味%'"
            " ORDER BY reported_at DESC, id DESC LIMIT 50"
        ),
    }
    found = {}
    with psycopg.connect(**pg_conninfo(url)) as connection:
        for label, sql in queries.items():
            rows = connection.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}").fetchall()
            found[label] = [row[0] for row in rows]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="PostgreSQL database (dropped and rebuilt with --build)")
    parser.add_argument("--build", action="store_true", help="(re)build the 10-million-ticket database first")
    parser.add_argument("--tickets", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=4_000_000)
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per case")
    parser.add_argument("--port", type=int, default=8793)
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--cases", metavar="REGEX", help="time only the cases whose name matches")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/aftersales-bench-scale"))
    parser.add_argument("--commit", metavar="REV", help="measure src/ as of this git revision (default: working tree)")
    args = parser.parse_args()
    run_at_commit()
    result: dict[str, Any] = {"benchmark": "scale_10m", "machine": machine_info()}
    if args.build:
        config = scale_data.ScaleConfig(args.tickets, args.customers, args.seed, scale_data.now_minute())
        result["build"] = scale_data.build(config, args.url)
        print(f"# built: {result['build']}", file=sys.stderr)
    with psycopg.connect(**pg_conninfo(args.url)) as connection:
        result["data_config"] = scale_data.stored_config(connection)
        result["data"] = scale_data.database_facts(connection)
        result["postgresql"] = connection.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        result["settings"] = dict(
            connection.execute(
                "SELECT name, setting || coalesce(unit, '') FROM pg_settings WHERE name IN"
                " ('shared_buffers', 'work_mem', 'max_connections', 'effective_cache_size', 'random_page_cost',"
                " 'max_parallel_workers_per_gather', 'synchronous_commit')"
            ).fetchall()
        )
    env = {
        **os.environ,
        "AFTERSALES_DATABASE_URL": args.url,
        "AFTERSALES_SECRET_KEY": "bench-scale-signing-key",
        "AFTERSALES_RATE_LIMIT_LOGIN_PER_MINUTE": "0",
    }
    found_tokens = tokens(env)
    if not args.skip_sweep:
        result["sweep"] = time_sweeps(env, args.url)
    found = samples(args.url, args.seed)
    base = f"http://127.0.0.1:{args.port}"
    import httpx2

    from aftersales.core.timeutil import to_local

    today = to_local(SystemClock().now()).date()
    dates = {
        "week": (today.fromordinal(today.toordinal() - 6)).isoformat(),
        "year": (today.fromordinal(today.toordinal() - 365)).isoformat(),
    }
    with services(env, args.port, args.workdir):
        wait_healthy(base)
        clients: dict[str, Any] = {
            "admin": httpx2.Client(
                base_url=base, timeout=180, headers={"Authorization": f"Bearer {found_tokens['admin']}"}
            ),
            "dispatcher": console_client(base, "bench-dispatcher"),
            "manager": console_client(base, "bench-manager"),
        }
        clients["manager"].headers["Authorization"] = f"Bearer {found_tokens['manager']}"
        started = time.monotonic()
        chosen = [case for case in cases(found) if args.cases is None or re.search(args.cases, case[1])]
        result["requests"] = measure(clients, chosen, args.repeat, dates)
        result["requests_wall_s"] = round(time.monotonic() - started, 1)
        if not args.skip_sweep:  # the job again, now while both workers sweep every 30 s too
            result["sweep"]["in_process_job_with_workers_running"] = in_process_sweeps(args.url)
        for client in clients.values():
            client.close()
    worker_log = (args.workdir / "worker-1.log").read_text(errors="replace").splitlines()
    result["worker_sweeps_logged"] = [line for line in worker_log if "job sla_sweep" in line][-5:]
    result["plans"] = plans(args.url)
    result["targets_met"] = all(row["met"] for row in result["requests"])
    path = write_result("scale", result)
    print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    print(f"# written to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
