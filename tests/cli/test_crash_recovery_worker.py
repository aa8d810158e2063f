"""Crash recovery of the notification worker, end to end: a real ``aftersales worker`` delivers the outbox's
emails to a real local SMTP server, which kills the worker with SIGKILL at chosen attempts, either after
the recipient was given (nothing delivered) or after the message was accepted but before the worker read
the answer (delivered, never recorded); the worker is restarted each time. Every email arrives, the only
duplicates are the unrecorded sends and carry the same delivery id, each message's attempts are exactly
those the SMTP server saw (a crash spends nothing of the claimed messages it never tried), and a message
that kills the worker every time is dead-lettered alone.

Kill points are counts of SMTP attempts, never sleeps. The database is the test's own: a SQLite file, or a
fresh PostgreSQL database when the suite runs on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, func, select

from aftersales.core.clock import SystemClock
from aftersales.core.db import make_session_factory, unit_of_work
from aftersales.notifications import rules as notification_rules
from aftersales.notifications import sender
from aftersales.notifications import service as notifications_service
from aftersales.notifications.enums import Channel, OutboxStatus
from aftersales.notifications.models import OutboxMessage
from tests.cli.process_support import STARTUP_SECONDS, Processes, free_port, process_environment

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
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
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


def _outbox(engine: Engine) -> list[tuple[Any, ...]]:
    """Every message's address, status, attempts and lease (for assertion messages)."""
    with engine.connect() as connection:
        query = select(
            OutboxMessage.recipient_address, OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.locked_until
        ).order_by(OutboxMessage.id)
        return [tuple(row) for row in connection.execute(query)]


def _worker_environment(url: str, smtp_port: int, **settings: str) -> dict[str, str]:
    # The worker runs on real time: a lease taken before a crash must expire for the next run, which a
    # clock restarting at a fixed instant in each process would push back. Email has no quiet hours.
    return process_environment(
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
            assert time.monotonic() < deadline, f"{_outbox(engine)}\n{processes.log_of(worker)}"
            time.sleep(0.1)
        if worker.poll() is None:  # settled: the last run
            processes.kill(worker)
            return runs
        # It died only where it was killed.
        assert len(mailbox.kills) == runs, f"{mailbox.kills}\n{_outbox(engine)}\n{processes.log_of(worker)}"


def test_no_email_is_lost_when_the_worker_is_killed_and_duplicates_share_a_delivery_id(
    migrated_database: Engine,
    process_database: str,
    processes: Processes,
    killing_smtp: tuple[int, KillingMailbox],
) -> None:
    port, mailbox = killing_smtp
    mailbox.plan = dict(WORKER_KILLS)
    _queue_emails(migrated_database, MESSAGES)
    runs = _deliver_through_crashes(processes, _worker_environment(process_database, port), mailbox, migrated_database)
    assert runs == len(WORKER_KILLS) + 1
    assert [(kill.attempt, kill.step) for kill in mailbox.kills] == sorted(WORKER_KILLS.items())

    with migrated_database.connect() as connection:
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
    migrated_database: Engine,
    process_database: str,
    processes: Processes,
    killing_smtp: tuple[int, KillingMailbox],
) -> None:
    port, mailbox = killing_smtp
    poison = _address(1)  # first in every batch that holds it
    mailbox.poison = poison
    _queue_emails(migrated_database, 2 * BATCH)
    environment = _worker_environment(process_database, port, notify_max_attempts=str(POISON_ATTEMPTS))
    runs = _deliver_through_crashes(processes, environment, mailbox, migrated_database)
    assert runs == POISON_ATTEMPTS + 1
    assert [kill.address for kill in mailbox.kills] == [poison] * POISON_ATTEMPTS

    with migrated_database.connect() as connection:
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
