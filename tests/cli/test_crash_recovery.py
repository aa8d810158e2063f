"""Crash recovery end to end: real ``aftersales serve`` and ``aftersales worker`` processes are killed with
SIGKILL in the middle of their work, restarted, and everything is counted afterwards.

- Server: clients post tickets with unique ``external_id``s; the server is killed after a given number of
  requests were started in each of its runs, and every request not answered is sent again, unchanged.
  Each external id ends up as exactly one complete ticket (number, registration event, SLA targets,
  audit entry), the one the client was told about.
- Worker: the outbox holds emails for a real local SMTP server, which kills the worker at chosen attempts,
  either after the recipient was given (nothing delivered) or after the message was accepted but before
  the worker heard so (delivered, not recorded). Every email arrives, the only duplicates are the
  unrecorded ones and carry the same delivery id, and each message's attempts are exactly those the SMTP
  server saw. A message whose sending kills the worker every time is dead-lettered alone.

Both run on a database of their own: a SQLite file, or a fresh PostgreSQL database beside the test one when
the suite runs on PostgreSQL. Kill points are counts (requests started, SMTP attempts), never sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import http.client
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx2
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from aftersales.accounts import service as accounts_service
from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import FrozenClock, SystemClock
from aftersales.core.db import make_engine, make_session_factory, unit_of_work
from aftersales.customers.models import Customer
from aftersales.notifications import rules as notification_rules
from aftersales.notifications import sender
from aftersales.notifications import service as notifications_service
from aftersales.notifications.enums import Channel, OutboxStatus
from aftersales.notifications.models import OutboxMessage
from aftersales.sla.models import Target
from aftersales.tickets import rules as ticket_rules
from aftersales.tickets.enums import EventType
from aftersales.tickets.models import Ticket, TicketEvent
from tests.conftest import local, ticket_body

CLI = str(Path(sys.executable).parent / "aftersales")
STARTUP_SECONDS = 60.0  # bound on a process becoming ready on a busy machine (not a measurement)
# The server runs "as if" at this instant (the clock then moves on): every ticket gets this day's number.
SERVER_CLOCK_START = local(2026, 11, 25, 10, 0)


@pytest.fixture
def own_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database for the processes: a SQLite file, or a fresh PostgreSQL database."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'crash.db'}"
        return
    name = f"aftersales_crash_{os.getpid()}"
    admin = create_engine(make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except (ProgrammingError, OperationalError):
        admin.dispose()
        pytest.skip("the test role may not create databases")
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _environment(url: str, **settings: str) -> dict[str, str]:
    """The processes' environment: the shell's, without its AFTERSALES_ settings, and these."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AFTERSALES_")}
    environment |= {
        "AFTERSALES_ENV": "test",
        "AFTERSALES_DATABASE_URL": url,
        "AFTERSALES_SECRET_KEY": "crash-recovery-key",
        "AFTERSALES_LOG_LEVEL": "WARNING",
        # No child processes: SIGKILL of the process is the whole crash, nothing is left running.
        "AFTERSALES_OFFLOAD_COMPUTATION": "false",
    }
    environment.update({f"AFTERSALES_{name.upper()}": value for name, value in settings.items()})
    return environment


@pytest.fixture
def migrated(own_database: str, tmp_path: Path) -> Iterator[Engine]:
    """The database migrated and seeded by the real ``aftersales db upgrade``; an engine for checking."""
    subprocess.run(
        [CLI, "db", "upgrade"], env=_environment(own_database), cwd=tmp_path, check=True, capture_output=True
    )
    engine = make_engine(own_database)
    yield engine
    engine.dispose()


class Processes:
    """Processes this test started, each in a session of its own; whatever is still running at the end
    is killed (by its own process group id) and reaped."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, arguments: list[str], environment: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (self.tmp_path / f"process-{len(self.started)}.log").open("wb")
        with log:
            process = subprocess.Popen(
                [CLI, *arguments],
                env=environment,
                cwd=self.tmp_path,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(process)
        return process

    @staticmethod
    def kill(process: subprocess.Popen[bytes]) -> None:
        """SIGKILL (kill -9) to the process and anything it started; returns once it is reaped."""
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # it died on its own meanwhile
                os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def log_of(self, process: subprocess.Popen[bytes]) -> str:
        return (self.tmp_path / f"process-{self.started.index(process)}.log").read_text(errors="replace")[-4000:]

    def stop_all(self) -> None:
        for process in self.started:
            self.kill(process)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    started = Processes(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# ---------------------------------------------------------------------------------------------- the server

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
        _, token = accounts_service.create_token(session, clock=clock, actor=SYSTEM_ACTOR, username="intake")
    return token


def test_no_acknowledged_ticket_is_lost_or_doubled_when_the_server_is_killed(
    migrated: Engine, own_database: str, processes: Processes
) -> None:
    token = _agent_token(migrated)
    port = _free_port()
    environment = _environment(own_database, clock_start=SERVER_CLOCK_START.isoformat())
    intake = Intake()
    outstanding = list(range(1, TICKETS + 1))
    runs = 0
    while outstanding:
        assert runs <= len(SERVER_KILLS), "the last run must finish the work"
        server = processes.start(["serve", "--host", "127.0.0.1", "--port", str(port)], environment)
        _wait_until_serving(f"http://127.0.0.1:{port}", server, processes)
        kill = SERVER_KILLS[runs] if runs < len(SERVER_KILLS) else None
        run = ServerRun(port, token, migrated, functools.partial(processes.kill, server))
        outstanding = _run_clients(run, outstanding, intake, kill)
        if kill is None:
            assert server.poll() is None, processes.log_of(server)  # the last run was never killed
        processes.kill(server)
        runs += 1
    assert runs == len(SERVER_KILLS) + 1
    assert intake.unexpected == []

    external_ids = {f"crash-{index:04d}" for index in range(1, TICKETS + 1)}
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

    with migrated.connect() as connection:
        tickets = connection.execute(
            select(Ticket.external_id, Ticket.id, Ticket.number, Ticket.kind, Ticket.priority, Ticket.reported_at)
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
    for row in tickets:
        expected = (
            {"first_response": 30 * 60, "onsite": 2 * 3600, "resolution": 24 * 3600}
            if row.kind == "repair"
            else {"first_response": 12 * 3600, "resolution": 24 * 3600}
        )
        assert (row.kind, row.priority) in {("repair", "urgent"), ("consultation", "routine")}
        assert {kind: duration for kind, (duration, _, _) in targets[row.id].items()} == expected
        assert {started for _, started, _ in targets[row.id].values()} == {row.reported_at}
        if row.priority == "urgent":  # the 7x24 calendar: due exactly the duration later
            assert all(
                due == started + timedelta(seconds=duration) for duration, started, due in targets[row.id].values()
            )


# ---------------------------------------------------------------------------------------------- the worker

MESSAGES = 60
BATCH = 10  # a killed worker leaves the rest of its claimed batch untried, under its lease
# (attempt number counted by the SMTP server across runs, step at which the worker is killed):
# "rcpt": the recipient was given, nothing delivered; "data": the message was accepted, the worker killed
# before it read the answer, so it never recorded the send.
WORKER_KILLS = {4: "rcpt", 13: "data", 21: "data", 30: "rcpt", 44: "data", 57: "rcpt"}
SMTP_FROM = "售后服务 <service@example.cn>"


@dataclass
class Kill:
    attempt: int
    step: str
    address: str


class KillingMailbox:
    """An aiosmtpd handler that counts every attempt (at RCPT), keeps what it accepts, and kills the worker
    at the planned attempts, and at every attempt to send to the ``poison`` address."""

    def __init__(self) -> None:
        self.plan: dict[int, str] = {}
        self.poison: str | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.attempts: Counter[str] = Counter()
        self.received: list[bytes] = []
        self.kills: list[Kill] = []
        self._attempt = 0
        self._lock = threading.Lock()

    def watch(self, worker: subprocess.Popen[bytes]) -> None:
        """The worker process to kill at the next planned attempt."""
        with self._lock:
            self.worker = worker

    def _kill(self, step: str, address: str) -> bool:
        with self._lock:
            if self.plan.get(self._attempt) != step and not (step == "rcpt" and address == self.poison):
                return False
            self.kills.append(Kill(self._attempt, step, address))
            worker = self.worker
        assert worker is not None
        Processes.kill(worker)  # reaped before the reply: the worker never reads it
        return True

    async def handle_RCPT(
        self, server: object, session: object, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        with self._lock:
            self._attempt += 1
            self.attempts[address] += 1
        envelope.rcpt_tos.append(address)
        if await asyncio.to_thread(self._kill, "rcpt", address):
            return "421 4.3.0 killed"
        return "250 OK"

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        with self._lock:
            self.received.append(bytes(envelope.original_content or envelope.content))
        if await asyncio.to_thread(self._kill, "data", envelope.rcpt_tos[0]):
            return "421 4.3.0 killed"
        return "250 2.0.0 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        with self._lock:
            raw = list(self.received)
        return [message_from_bytes(item, policy=policy.default) for item in raw]


@pytest.fixture
def killing_smtp() -> Iterator[tuple[int, KillingMailbox]]:
    mailbox = KillingMailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller.port, mailbox
    finally:
        controller.stop()


def _address(index: int) -> str:
    return f"customer{index:03d}@example.cn"


def _queue_emails(engine: Engine, count: int) -> None:
    # Queued on the real clock the worker runs on: due at once, whatever the date.
    clock = SystemClock()
    with unit_of_work(make_session_factory(engine)) as session:
        written = notifications_service.enqueue_many(
            session,
            clock=clock,
            messages=[
                notifications_service.NewMessage(
                    kind="visit_invitation",
                    dedupe_key=f"visit_invitation:{index}",
                    context={
                        "ticket_number": f"SH20261122-{index:06d}",
                        "survey_url": f"https://svc.example.cn/survey/{index}",
                        "valid_days": 7,
                    },
                    channel=Channel.EMAIL,
                    recipient_address=_address(index),
                )
                for index in range(1, count + 1)
            ],
        )
    assert written == count


def _unsettled(engine: Engine) -> int:
    """Messages still to be sent: waiting, or claimed by a sender."""
    with engine.connect() as connection:
        return int(
            connection.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
            )
            or 0
        )


def _worker_environment(url: str, smtp_port: int, **settings: str) -> dict[str, str]:
    # The worker runs on real time: a lease taken before a crash must expire for the next run, which a
    # clock restarting at a fixed instant in each process would push back. Email has no quiet hours.
    return _environment(
        url,
        smtp_host="127.0.0.1",
        smtp_port=str(smtp_port),
        smtp_from=SMTP_FROM,
        smtp_timeout_seconds="30",
        notify_interval_seconds="0.1",
        notify_batch_size=str(BATCH),
        notify_lease_seconds="2",
        notify_retry_base_seconds="1",  # a hiccup of the loaded machine is retried soon, not in a minute
        notify_retry_jitter="0",
        **settings,
    )


def _deliver_through_crashes(
    processes: Processes, environment: dict[str, str], mailbox: KillingMailbox, engine: Engine
) -> int:
    """Run the worker, and again each time the SMTP server kills it, until the outbox is settled; returns
    how many runs it took."""
    runs = 0
    while True:
        worker = processes.start(["worker"], environment)
        mailbox.watch(worker)
        runs += 1
        deadline = time.monotonic() + STARTUP_SECONDS
        while worker.poll() is None and _unsettled(engine) > 0:
            assert time.monotonic() < deadline, processes.log_of(worker)
            time.sleep(0.1)
        if worker.poll() is None:  # settled: the last run
            processes.kill(worker)
            return runs
        assert len(mailbox.kills) == runs, processes.log_of(worker)  # it died only where it was killed


def test_no_email_is_lost_when_the_worker_is_killed_and_duplicates_share_a_delivery_id(
    migrated: Engine,
    own_database: str,
    processes: Processes,
    killing_smtp: tuple[int, KillingMailbox],
) -> None:
    port, mailbox = killing_smtp
    mailbox.plan = dict(WORKER_KILLS)
    _queue_emails(migrated, MESSAGES)
    runs = _deliver_through_crashes(processes, _worker_environment(own_database, port), mailbox, migrated)
    assert runs == len(WORKER_KILLS) + 1
    assert [(kill.attempt, kill.step) for kill in mailbox.kills] == sorted(WORKER_KILLS.items())

    with migrated.connect() as connection:
        rows = connection.execute(
            select(
                OutboxMessage.dedupe_key,
                OutboxMessage.recipient_address,
                OutboxMessage.status,
                OutboxMessage.attempts,
                OutboxMessage.locked_until,
                OutboxMessage.claim_token,
            )
        ).all()
    killed_at = Counter(kill.address for kill in mailbox.kills)
    unrecorded = Counter(kill.address for kill in mailbox.kills if kill.step == "data")
    addresses = {_address(index) for index in range(1, MESSAGES + 1)}
    assert {row.recipient_address for row in rows} == addresses
    # Every message sent and released; its attempts are exactly those the SMTP server saw: the completed
    # one and one per crash during it. The rest of a crashed worker's batch spent nothing.
    assert {(row.status, row.locked_until, row.claim_token) for row in rows} == {(OutboxStatus.SENT, None, None)}
    assert {row.recipient_address: row.attempts for row in rows} == dict(mailbox.attempts)
    assert dict(mailbox.attempts) == {address: 1 + killed_at[address] for address in addresses}
    assert sum(mailbox.attempts.values()) == MESSAGES + len(WORKER_KILLS)

    delivered: dict[str, list[EmailMessage]] = defaultdict(list)
    for message in mailbox.messages():
        delivered[str(message["To"])].append(message)
    assert {address: len(copies) for address, copies in delivered.items()} == {
        address: 1 + unrecorded[address] for address in addresses
    }
    assert sum(len(copies) for copies in delivered.values()) == MESSAGES + list(WORKER_KILLS.values()).count("data")
    keys = {row.recipient_address: row.dedupe_key for row in rows}
    for address, copies in delivered.items():
        identities = {
            (
                str(copy["Message-ID"]),
                str(copy["X-Aftersales-Delivery"]),
                str(copy["Subject"]),
                str(copy["Date"]),
                copy.get_content(),
            )
            for copy in copies
        }
        assert len(identities) == 1, address  # a duplicate is the same message, with the same delivery id
        (message_id, delivery_id, _, _, _) = identities.pop()
        assert (message_id, delivery_id) == (
            notification_rules.message_id(keys[address], "example.cn"),
            keys[address],
        )


POISON_ATTEMPTS = 3


def test_a_message_that_kills_the_worker_each_time_fails_alone(
    migrated: Engine,
    own_database: str,
    processes: Processes,
    killing_smtp: tuple[int, KillingMailbox],
) -> None:
    port, mailbox = killing_smtp
    poison = _address(1)  # first in every batch that holds it
    mailbox.poison = poison
    _queue_emails(migrated, 2 * BATCH)
    environment = _worker_environment(own_database, port, notify_max_attempts=str(POISON_ATTEMPTS))
    runs = _deliver_through_crashes(processes, environment, mailbox, migrated)
    assert runs == POISON_ATTEMPTS + 1
    assert [kill.address for kill in mailbox.kills] == [poison] * POISON_ATTEMPTS

    with migrated.connect() as connection:
        rows = connection.execute(
            select(
                OutboxMessage.recipient_address,
                OutboxMessage.status,
                OutboxMessage.attempts,
                OutboxMessage.last_error,
            ).order_by(OutboxMessage.id)
        ).all()
    # The poison message spent its attempts and was dead-lettered when its last lease ran out; the others
    # were sent on their first attempt, however often the batch they were claimed in was cut short.
    assert rows[0] == (poison, OutboxStatus.FAILED, POISON_ATTEMPTS, sender.LEASE_EXPIRED)
    assert {(row.status, row.attempts) for row in rows[1:]} == {(OutboxStatus.SENT, 1)}
    assert dict(mailbox.attempts) == {row.recipient_address: row.attempts for row in rows}
    assert sorted(str(message["To"]) for message in mailbox.messages()) == sorted(
        _address(index) for index in range(2, 2 * BATCH + 1)
    )
