"""Ticket creation through the HTTP API on SQLite: closed-loop throughput and open-loop latency at a fixed rate.

Sets up a fresh SQLite database in a temporary directory (``aftersales db upgrade``, an agent user and its
token through the real CLI), starts ``aftersales serve --no-jobs`` on 127.0.0.1, warms it up, then:

(a) throughput: N concurrent clients POST /api/v1/tickets back to back for a fixed time (closed loop);
    with ``--generator wrk`` (default when wrk is installed) the C load generator wrk does it, else Python.
(b) fixed rate: requests are sent at fixed times (default 100/s for 30 s) whether or not earlier ones have
    answered (open loop); latency is measured from each request's *scheduled* time, so a stalled server
    cannot hide its stall by slowing the generator down (no coordinated omission).

Prints one JSON object and writes it to bench/results/. Only loopback traffic; every loop is bounded.

    .venv/bin/python bench/api_create.py                       # synchronous=FULL (the default)
    .venv/bin/python bench/api_create.py --synchronous NORMAL
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2
import pyspy_top
from common import (
    RESULTS_DIR,
    VENV_BIN,
    BodyFactory,
    busy_cpu_seconds,
    finish_run,
    latency_summary_ms,
    machine_info,
    run_at_commit,
    tree_cpu_seconds,
)

AFTERSALES = str(VENV_BIN / "aftersales")
PATH = "/api/v1/tickets"
MAX_REQUESTS_PER_PHASE = 200_000  # a hard bound on every request loop, whatever the duration

WRK_SCRIPT = r"""
-- Cycles through pre-generated JSON bodies (one per line); counts 201 (created), 200 (replay), others.
local bodies = {}
local threads = {}
local counter, stride = 0, 1
created, replayed, failed = 0, 0, 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  wrk.headers["Authorization"] = "Bearer " .. args[2]
  wrk.headers["Content-Type"] = "application/json"
  counter = id
  stride = tonumber(args[3])
end

function request()
  local index = counter % #bodies + 1
  local round = math.floor(counter / #bodies)
  counter = counter + stride
  local body = bodies[index]
  if round > 0 then
    -- the list wrapped: keep external ids unique so replays are not mistaken for creations
    body = string.gsub(body, '"external_id":"CRM%-', '"external_id":"CRM-r' .. round .. '-')
  end
  return wrk.format("POST", "/api/v1/tickets", nil, body)
end

function response(status, headers, body)
  if status == 201 then created = created + 1
  elseif status == 200 then replayed = replayed + 1
  else failed = failed + 1 end
end

function done(summary, latency, requests)
  local c, r, f = 0, 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("created"); r = r + thread:get("replayed"); f = f + thread:get("failed")
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "created": %d, "replayed": %d, "failed_status": %d, ' ..
    '"socket_errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p95": %d, "p99": %d, "p999": %d, "max": %d}}\n',
    summary.requests, summary.duration, c, r, f, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency:percentile(99.9), latency.max))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run([AFTERSALES, *args], env=env, capture_output=True, text=True, timeout=180, check=False)
    if done.returncode != 0:
        raise SystemExit(f"aftersales {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def wait_healthy(base: str, server: subprocess.Popen[bytes], timeout: float = 60.0) -> float:
    started = time.monotonic()
    with httpx2.Client(base_url=base, timeout=2) as client:
        while time.monotonic() - started < timeout:
            if server.poll() is not None:
                raise SystemExit(f"server exited with {server.returncode}")
            with contextlib.suppress(httpx2.HTTPError):
                if client.get("/healthz").status_code == 200:
                    return time.monotonic() - started
            time.sleep(0.1)
    raise SystemExit("server did not become healthy")


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


class CpuMeter:
    """CPU seconds used by the server, by this process and by the whole machine over one phase."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.start = (tree_cpu_seconds(server_pid), time.process_time(), busy_cpu_seconds(), time.monotonic())

    def stop(self, generator_cpu: float | None = None) -> dict[str, float]:
        server, own, machine, wall = self.start
        wall = time.monotonic() - wall
        server_cpu = tree_cpu_seconds(self.server_pid) - server
        generator = generator_cpu if generator_cpu is not None else time.process_time() - own
        machine_cpu = busy_cpu_seconds() - machine
        return {
            "wall_s": round(wall, 2),
            "server_cores": round(server_cpu / wall, 2),
            "generator_cores": round(generator / wall, 2),
            "other_processes_cores": round(max(0.0, machine_cpu - server_cpu - generator) / wall, 2),
            "machine_busy_cores": round(machine_cpu / wall, 2),
        }


# --- Python generators -------------------------------------------------------------------------------


def _client(base: str, token: str, connections: int) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(
        base_url=base,
        timeout=httpx2.Timeout(30.0),
        limits=httpx2.Limits(max_connections=connections, max_keepalive_connections=connections),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )


async def closed_loop(base: str, token: str, bodies: list[bytes], *, clients: int, duration: float) -> dict[str, Any]:
    """``clients`` coroutines each POST, wait for the answer, POST again, until ``duration`` is over."""
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    next_body = iter(bodies)
    async with _client(base, token, clients) as http:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + duration
        started = loop.time()

        async def worker() -> None:
            while loop.time() < deadline:
                body = next(next_body, None)
                if body is None:
                    return
                sent = loop.time()
                try:
                    response = await http.post(PATH, content=body)
                    key = str(response.status_code)
                except httpx2.HTTPError as error:
                    key = type(error).__name__
                latencies.append(loop.time() - sent)
                statuses[key] = statuses.get(key, 0) + 1

        await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(clients))), timeout=duration + 60)
        elapsed = loop.time() - started
    ok = statuses.get("201", 0) + statuses.get("200", 0)
    return {
        "requests": len(latencies),
        "elapsed_s": round(elapsed, 2),
        "tickets_per_s": round(statuses.get("201", 0) / elapsed, 1),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "statuses": statuses,
        "errors": len(latencies) - ok,
        "latency": latency_summary_ms(latencies),
    }


async def fixed_rate(base: str, token: str, bodies: list[bytes], *, rate: float) -> dict[str, Any]:
    """One request every 1/rate s at fixed times (open loop); latency counted from the scheduled time."""
    count = len(bodies)
    results: list[tuple[float, str] | None] = [None] * count
    send_lags: list[float] = []
    async with _client(base, token, 500) as http:
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.2

        async def one(index: int, scheduled: float) -> None:
            try:
                response = await http.post(PATH, content=bodies[index])
                key = str(response.status_code)
            except httpx2.HTTPError as error:
                key = type(error).__name__
            results[index] = (loop.time() - scheduled, key)

        tasks = []
        for index in range(count):
            scheduled = start + index / rate
            delay = scheduled - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            send_lags.append(max(0.0, loop.time() - scheduled))
            tasks.append(asyncio.create_task(one(index, scheduled)))
        _, pending = await asyncio.wait(tasks, timeout=60)
        for task in pending:
            task.cancel()
        elapsed = loop.time() - start
    windows = []
    per_window = max(1, int(rate * 5))
    for first in range(0, count, per_window):
        chunk = results[first : first + per_window]
        ok = [r[0] for r in chunk if r and r[1] in ("200", "201")]
        summary = latency_summary_ms(ok)
        windows.append(
            {
                "scheduled_from_s": round(first / rate, 1),
                "ok": len(ok),
                "errors": len(chunk) - len(ok),
                "p50_ms": summary["p50_ms"],
                "p99_ms": summary["p99_ms"],
            }
        )
    statuses: dict[str, int] = {}
    latencies = []
    for result in results:
        key = result[1] if result else "no_answer_within_60s"
        statuses[key] = statuses.get(key, 0) + 1
        if result:
            latencies.append(result[0])
    ok = statuses.get("201", 0) + statuses.get("200", 0)
    return {
        "target_rate_per_s": rate,
        "scheduled_requests": count,
        "elapsed_s": round(elapsed, 2),
        "statuses": statuses,
        "errors": count - ok,
        "latency_from_schedule": latency_summary_ms(latencies),
        "generator_send_lag": latency_summary_ms(send_lags),
        "by_5s_window": windows,
    }


# --- wrk ---------------------------------------------------------------------------------------------


def wrk_closed_loop(
    base: str, token: str, bodies: list[bytes], *, clients: int, duration: float, threads: int, workdir: Path
) -> tuple[dict[str, Any], float]:
    script = workdir / "create.lua"
    script.write_text(WRK_SCRIPT)
    data = workdir / "bodies.jsonl"
    data.write_bytes(b"\n".join(bodies) + b"\n")
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{clients}",
        f"-d{int(duration)}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        base,
        "--",
        str(data),
        token,
        str(threads),
    ]
    before = os.times()
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 120, check=False)
    after = os.times()
    wrk_cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line.removeprefix("WRKJSON "))
    seconds = raw["duration_us"] / 1e6
    errors = raw["failed_status"] + sum(v for k, v in raw["socket_errors"].items() if k != "status")
    lat = raw["latency_us"]
    note = {"note": "no request completed: the server stalled"} if raw["requests"] == 0 else {}
    return {
        **note,
        "requests": raw["requests"],
        "elapsed_s": round(seconds, 2),
        "tickets_per_s": round(raw["created"] / seconds, 1),
        "requests_per_s": round(raw["requests"] / seconds, 1),
        "statuses": {"201": raw["created"], "200": raw["replayed"], "other": raw["failed_status"]},
        "socket_errors": raw["socket_errors"],
        "errors": errors,
        "latency": {
            "count": raw["requests"],
            "mean_ms": round(lat["mean"] / 1000, 2),
            **{f"{k}_ms": round(lat[k] / 1000, 2) for k in ("p50", "p90", "p95", "p99", "p999", "max")},
        },
    }, wrk_cpu


# --- orchestration -----------------------------------------------------------------------------------


def start_py_spy(pid: int, duration: float, workdir: Path, children: bool) -> subprocess.Popen[bytes] | None:
    """Sample the server (only threads holding the GIL: CPU work) for most of the phase."""
    py_spy = shutil.which("py-spy") or str(VENV_BIN / "py-spy")
    if not Path(py_spy).exists():
        print("# py-spy not found: pip install py-spy", file=sys.stderr)
        return None
    seconds = max(1, int(duration) - 2)
    command = [py_spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "250", "--gil"]
    command += ["--nonblocking", "--format", "raw", "--output", str(workdir / "py-spy.txt")]
    if children:
        command.append("--subprocesses")
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def ticket_count(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        return int(connection.execute("SELECT count(*) FROM tickets").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--synchronous", default="FULL", choices=["FULL", "NORMAL"], help="SQLite synchronous")
    parser.add_argument("--generator", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python")
    parser.add_argument("--clients", type=int, default=16, help="concurrent connections in the throughput phase")
    parser.add_argument("--server-workers", type=int, default=1, help="aftersales serve --workers N (processes)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of the throughput phase")
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--rate", type=float, default=100.0, help="requests/s of the fixed-rate phase")
    parser.add_argument("--rate-duration", type=float, default=30.0, help="seconds of the fixed-rate phase")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of warm-up (discarded)")
    parser.add_argument("--pause", type=float, default=3.0, help="seconds of rest between phases")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-rate", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (database, server log)")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument(
        "--py-spy", action="store_true", help="sample the server with py-spy during the throughput phase and summarise"
    )
    parser.add_argument("--commit", metavar="REV", help="measure src/ as of this git revision (default: working tree)")
    args = parser.parse_args()
    run_at_commit()

    machine = machine_info()
    workdir = Path(tempfile.mkdtemp(prefix="aftersales-bench-api-"))
    db = workdir / "bench.db"
    env = {
        **os.environ,
        "AFTERSALES_DATABASE_URL": f"sqlite:///{db}",
        "AFTERSALES_SQLITE_SYNCHRONOUS": args.synchronous,
        "AFTERSALES_RUN_JOBS_IN_PROCESS": "false",
        "AFTERSALES_LOG_LEVEL": "WARNING",
        "AFTERSALES_SECRET_KEY": "bench-signing-key",  # production mode (the default) refuses to serve without one
    }
    print(f"# workdir {workdir}", file=sys.stderr)
    run_cli(["db", "upgrade"], env)
    run_cli(["users", "create", "--username", "bench", "--role", "agent", "--password", "benchpass1"], env)
    token = run_cli(["tokens", "create", "--username", "bench"], env).strip().splitlines()[-1]

    factory = BodyFactory(seed=args.seed)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (workdir / "server.log").open("wb")
    server = subprocess.Popen(
        [AFTERSALES, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-jobs"]
        + (["--workers", str(args.server_workers)] if args.server_workers > 1 else []),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    result: dict[str, Any] = {
        "benchmark": "api_create",
        "machine": machine,
        "config": {
            "database": "SQLite (WAL) in a temporary directory",
            "synchronous": args.synchronous,
            "server": f"aftersales serve --no-jobs --workers {args.server_workers}",
            "throughput_generator": args.generator,
            "clients": args.clients,
            "duration_s": args.duration,
            "rate_per_s": args.rate,
            "rate_duration_s": args.rate_duration,
            "warmup_s": args.warmup,
        },
    }
    try:
        result["startup_s"] = round(wait_healthy(base, server), 2)
        print(f"# server up on {base}; warming up {args.warmup:.0f} s", file=sys.stderr)
        warm = asyncio.run(
            closed_loop(base, token, [encode(factory.body()) for _ in range(3_000)], clients=4, duration=args.warmup)
        )
        result["warmup"] = {"requests": warm["requests"], "statuses": warm["statuses"]}

        if not args.skip_throughput:
            time.sleep(args.pause)
            budget = min(MAX_REQUESTS_PER_PHASE, int(args.duration * 2_000))
            bodies = [encode(factory.body()) for _ in range(budget)]
            print(f"# throughput: {args.clients} clients, {args.duration:.0f} s ({args.generator})", file=sys.stderr)
            spy = start_py_spy(server.pid, args.duration, workdir, args.server_workers > 1) if args.py_spy else None
            meter = CpuMeter(server.pid)
            if args.generator == "wrk":
                phase, wrk_cpu = wrk_closed_loop(
                    base,
                    token,
                    bodies,
                    clients=args.clients,
                    duration=args.duration,
                    threads=args.wrk_threads,
                    workdir=workdir,
                )
                phase["cpu"] = meter.stop(generator_cpu=wrk_cpu)
            else:
                phase = asyncio.run(closed_loop(base, token, bodies, clients=args.clients, duration=args.duration))
                phase["cpu"] = meter.stop()
            result["throughput"] = phase
            if spy is not None:
                spy.wait(timeout=args.duration + 60)
                stacks = workdir / "py-spy.txt"
                if stacks.exists():
                    result["throughput_profile"] = pyspy_top.summarize(stacks, top=25)
                    shutil.copy(
                        stacks,
                        RESULTS_DIR / f"py-spy-api-{args.synchronous.lower()}-{time.strftime('%Y%m%dT%H%M%S')}.txt",
                    )
            print(f"# -> {phase['tickets_per_s']} tickets/s, p99 {phase['latency']['p99_ms']} ms", file=sys.stderr)

        if not args.skip_rate:
            time.sleep(args.pause)
            count = min(MAX_REQUESTS_PER_PHASE, int(args.rate * args.rate_duration))
            bodies = [encode(factory.body()) for _ in range(count)]
            print(
                f"# fixed rate: {args.rate:.0f}/s for {args.rate_duration:.0f} s (python, open loop)", file=sys.stderr
            )
            meter = CpuMeter(server.pid)
            phase = asyncio.run(fixed_rate(base, token, bodies, rate=args.rate))
            phase["cpu"] = meter.stop()
            result["fixed_rate"] = phase
            lat = phase["latency_from_schedule"]
            print(f"# -> p50 {lat['p50_ms']} ms, p99 {lat['p99_ms']} ms, max {lat['max_ms']} ms", file=sys.stderr)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)
        log.close()

    result["responses_201_total"] = sum(
        int(phase.get("statuses", {}).get("201", 0))
        for phase in (result.get("warmup", {}), result.get("throughput", {}), result.get("fixed_rate", {}))
    )
    result["tickets_in_database"] = ticket_count(db)  # more than the 201s: requests committed, answer lost
    result["database_bytes"] = sum(p.stat().st_size for p in workdir.glob("bench.db*"))
    name = f"api_create-{args.synchronous.lower()}-{args.generator}-w{args.server_workers}-c{args.clients}"
    finish_run(name, result, workdir, keep=args.keep)


if __name__ == "__main__":
    main()
