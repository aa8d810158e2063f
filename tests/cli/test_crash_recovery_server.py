"""Crash recovery of the server, end to end: a real ``aftersales serve`` (jobs in-process) is killed with
SIGKILL while clients post tickets with unique ``external_id``s, restarted, and every request that was not
answered is sent again, unchanged. Each external id ends up as exactly one complete ticket (the day's
number without a gap, its registration event, SLA targets and audit entry), the one the client was told
about; a request cut off after its commit is answered, when sent again, with the ticket it wrote.

Kill points are counts of requests started in each run, never sleeps. The database is the test's own: a
SQLite file, or a fresh PostgreSQL database when the suite runs on PostgreSQL.
"""

from __future__ import annotations

import functools
import http.client
import json
import queue
import subprocess
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx2
from sqlalchemy import Engine, func, select

from aftersales.accounts import service as accounts_service
from aftersales.accounts import tokens as accounts_tokens
from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import FrozenClock
from aftersales.core.db import make_session_factory, unit_of_work
from aftersales.customers.models import Customer
from aftersales.sla.models import Target
from aftersales.tickets import rules as ticket_rules
from aftersales.tickets.enums import EventType
from aftersales.tickets.models import Ticket, TicketEvent
from tests.cli.process_support import STARTUP_SECONDS, Processes, free_port, process_environment
from tests.conftest import local, ticket_body

# The server runs "as if" at this instant (the clock then moves on): every ticket gets this day's number.
SERVER_CLOCK_START = local(2026, 11, 25, 10, 0)

TICKETS = 200
CLIENTS = 4
CUSTOMERS = 25  # repeat callers: tickets share customers, so concurrent intakes upsert the same rows
# For each run of the server but the last: the request of that run (counted as they are started) at which
# the server is killed, and how. "in_flight": just before that request is sent, with the other clients'
# requests under way. "committed": that request is sent, its ticket is seen committed, and the server is
# killed before the client reads the answer: the client must send it again and be given that ticket.
SERVER_KILLS = ((9, "in_flight"), (37, "committed"), (18, "in_flight"), (52, "committed"), (27, "committed"))


def _external_id(index: int) -> str:
    return f"crash-{index:04d}"


def _body(index: int) -> dict[str, object]:
    is_repair = index % 3 == 0
    return ticket_body(
        channel="api",
        kind="repair" if is_repair else "consultation",
        priority="urgent" if is_repair else "routine",
        customer={
            "name": f"客户{index % CUSTOMERS:02d}",
            "phone": f"1390000{index % CUSTOMERS:04d}",
            "address": "上海市徐汇区漕溪北路1号",
        },
        product={"model": "YL-S7", "serial_number": f"SN-{index % CUSTOMERS:04d}"},
        description=f"指纹锁识别失败 #{index}",
        external_id=_external_id(index),
    )


@dataclass
class Reply:
    status: int
    ticket_id: int
    number: str


@dataclass
class Intake:
    """What the clients sent and were told, across every run of the server."""

    acknowledged: dict[str, Reply] = field(default_factory=dict)
    sends: Counter[str] = field(default_factory=Counter)
    created_replies: Counter[str] = field(default_factory=Counter)  # 201s per external id
    cut_off_after_commit: list[str] = field(default_factory=list)
    unexpected: list[tuple[str, int, str]] = field(default_factory=list)


@dataclass
class ServerRun:
    """One run of the server: where it listens, how to kill it, and where to see what it committed."""

    port: int
    token: str
    engine: Engine
    kill: Callable[[], None]

    def send_unread(self, index: int) -> None:
        """Send ticket ``index`` without reading the answer; return once its ticket is committed."""
        payload = json.dumps(_body(index)).encode()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        try:
            connection.request("POST", "/api/v1/tickets", body=payload, headers=headers)
            query = select(Ticket.id).where(Ticket.external_id == _external_id(index))
            deadline = time.monotonic() + STARTUP_SECONDS
            while True:
                with self.engine.connect() as database:
                    if database.scalar(query) is not None:
                        return
                assert time.monotonic() < deadline, f"ticket {index} was never committed"
                time.sleep(0.01)
        finally:
            connection.close()


def _run_clients(run: ServerRun, outstanding: list[int], intake: Intake, kill: tuple[int, str] | None) -> list[int]:
    """Send the outstanding tickets from CLIENTS threads, killing the server as ``kill`` says; returns the
    tickets not acknowledged, in order, to be sent again."""
    work: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in outstanding:
        work.put(index)
    lock = threading.Lock()
    started = 0
    killed = threading.Event()
    unanswered: list[int] = []
    errors: list[BaseException] = []

    def client() -> None:
        try:
            send()
        except BaseException as error:  # raised again in the test's thread
            errors.append(error)

    def send() -> None:
        nonlocal started
        headers = {"Authorization": f"Bearer {run.token}"}
        with httpx2.Client(base_url=f"http://127.0.0.1:{run.port}", timeout=60, headers=headers) as api:
            while True:
                try:
                    index = work.get_nowait()
                except queue.Empty:
                    return
                external_id = _external_id(index)
                with lock:
                    if killed.is_set():
                        unanswered.append(index)
                        continue
                    started += 1
                    step = kill[1] if kill is not None and kill[0] == started else None
                    if step == "in_flight":
                        run.kill()
                        killed.set()
                    intake.sends[external_id] += 1
                if step == "committed":
                    run.send_unread(index)
                    run.kill()
                    killed.set()
                    with lock:
                        intake.cut_off_after_commit.append(external_id)
                        unanswered.append(index)
                    continue
                try:
                    response = api.post("/api/v1/tickets", json=_body(index))
                except httpx2.TransportError:
                    with lock:
                        unanswered.append(index)
                    continue
                with lock:
                    if response.status_code in (200, 201):
                        document = response.json()
                        intake.acknowledged[external_id] = Reply(
                            response.status_code, int(document["id"]), str(document["number"])
                        )
                        if response.status_code == 201:
                            intake.created_replies[external_id] += 1
                    elif response.status_code == 503:  # busy: not acknowledged, send again
                        unanswered.append(index)
                    else:
                        intake.unexpected.append((external_id, response.status_code, response.text[:300]))

    threads = [threading.Thread(target=client, name=f"crash-client-{n}") for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
        assert not thread.is_alive()
    if errors:
        raise errors[0]
    return sorted(unanswered)


def _wait_until_serving(base: str, process: subprocess.Popen[bytes], processes: Processes) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, processes.log_of(process)
        try:
            if httpx2.get(f"{base}/healthz", timeout=5).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"the server did not start:\n{processes.log_of(process)}")


def _agent_token(engine: Engine) -> str:
    clock = FrozenClock(SERVER_CLOCK_START)
    with unit_of_work(make_session_factory(engine)) as session:
        accounts_service.create_user(
            session, clock=clock, actor=SYSTEM_ACTOR, username="intake", role=Role.AGENT, password="secret-pass-1"
        )
        _, token = accounts_tokens.create_token(session, clock=clock, actor=SYSTEM_ACTOR, username="intake")
    return token


def test_no_acknowledged_ticket_is_lost_or_doubled_when_the_server_is_killed(
    migrated_database: Engine, process_database: str, processes: Processes
) -> None:
    token = _agent_token(migrated_database)
    port = free_port()
    environment = process_environment(process_database, clock_start=SERVER_CLOCK_START.isoformat())
    intake = Intake()
    outstanding = list(range(1, TICKETS + 1))
    runs = 0
    while outstanding:
        assert runs <= len(SERVER_KILLS), "the last run must finish the work"
        server = processes.start(["serve", "--host", "127.0.0.1", "--port", str(port)], environment)
        _wait_until_serving(f"http://127.0.0.1:{port}", server, processes)
        kill = SERVER_KILLS[runs] if runs < len(SERVER_KILLS) else None
        run = ServerRun(port, token, migrated_database, functools.partial(processes.kill, server))
        outstanding = _run_clients(run, outstanding, intake, kill)
        if kill is None:
            assert server.poll() is None, processes.log_of(server)  # the last run was never killed
        processes.kill(server)
        runs += 1
    assert runs == len(SERVER_KILLS) + 1
    assert intake.unexpected == []

    external_ids = {_external_id(index) for index in range(1, TICKETS + 1)}
    assert set(intake.sends) == external_ids
    assert sum(intake.sends.values()) > TICKETS  # requests were cut off and sent again
    assert set(intake.acknowledged) == external_ids
    # One creation per external id at most: a replay of a ticket that was written before the crash cut
    # its answer off is answered 200 with that ticket.
    assert max(intake.created_replies.values()) == 1
    replayed = {key for key, reply in intake.acknowledged.items() if reply.status == 200}
    assert all(intake.sends[key] > 1 for key in replayed)
    # Each request cut off after its commit was answered, when sent again, with the ticket it had written.
    assert len(intake.cut_off_after_commit) == [step for _, step in SERVER_KILLS].count("committed")
    assert replayed >= set(intake.cut_off_after_commit)

    with migrated_database.connect() as connection:
        tickets = connection.execute(
            select(
                Ticket.external_id,
                Ticket.id,
                Ticket.number,
                Ticket.kind,
                Ticket.priority,
                Ticket.description,
                Ticket.reported_at,
            )
        ).all()
        registered = Counter(
            connection.execute(select(TicketEvent.ticket_id).where(TicketEvent.type == EventType.REGISTER)).scalars()
        )
        targets: dict[int, dict[str, tuple[int, Any, Any]]] = defaultdict(dict)
        for target in connection.execute(
            select(Target.ticket_id, Target.kind, Target.duration_seconds, Target.started_at, Target.due_at)
        ):
            targets[target.ticket_id][str(target.kind)] = (target.duration_seconds, target.started_at, target.due_at)
        audited = Counter(
            connection.execute(select(AuditEntry.entity_id).where(AuditEntry.action == "ticket.created")).scalars()
        )
        customers = connection.scalar(select(func.count()).select_from(Customer))

    assert len(tickets) == TICKETS
    by_external_id = {row.external_id: row for row in tickets}
    assert set(by_external_id) == external_ids  # no external id twice, none missing
    assert {key: (reply.ticket_id, reply.number) for key, reply in intake.acknowledged.items()} == {
        key: (row.id, row.number) for key, row in by_external_id.items()
    }
    # Numbers of the day, 1 to TICKETS with no gap: no number was taken by a write that did not commit.
    assert sorted(row.number for row in tickets) == [
        ticket_rules.format_number("SH", date(2026, 11, 25), sequence) for sequence in range(1, TICKETS + 1)
    ]
    assert registered == Counter({row.id: 1 for row in tickets})
    assert audited == Counter({str(row.id): 1 for row in tickets})
    assert customers == CUSTOMERS
    sent = [_body(index) for index in range(1, TICKETS + 1)]
    assert {row.external_id: (row.kind, row.priority, row.description) for row in tickets} == {
        body["external_id"]: (body["kind"], body["priority"], body["description"]) for body in sent
    }
    for row in tickets:
        expected = (
            {"first_response": 30 * 60, "onsite": 2 * 3600, "resolution": 24 * 3600}
            if row.kind == "repair"
            else {"first_response": 12 * 3600, "resolution": 24 * 3600}
        )
        assert {kind: duration for kind, (duration, _, _) in targets[row.id].items()} == expected
        assert {started for _, started, _ in targets[row.id].values()} == {row.reported_at}
        if row.priority == "urgent":  # the 7x24 calendar: due exactly the duration later
            assert all(
                due == started + timedelta(seconds=duration) for duration, started, due in targets[row.id].values()
            )
