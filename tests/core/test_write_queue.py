"""Group commit: jobs share a transaction, fail alone, and are answered only after the commit."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text
from sqlalchemy.orm import Session

from aftersales.core.db import make_engine, make_session_factory
from aftersales.core.write_queue import WriteQueue

metadata = MetaData()
items = Table("items", metadata, Column("id", Integer, primary_key=True), Column("name", String(20), unique=True))


@pytest.fixture
def queue_and_engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'q.db'}")
    metadata.create_all(engine)
    write_queue = WriteQueue(make_session_factory(engine), max_batch=16)
    yield write_queue, engine
    write_queue.stop()
    engine.dispose()


def _names(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return sorted(connection.execute(select(items.c.name)).scalars())


def test_jobs_are_batched_and_a_failing_job_rolls_back_alone(queue_and_engine) -> None:  # type: ignore[no-untyped-def]
    write_queue, engine = queue_and_engine
    gate, started = threading.Event(), threading.Event()

    def blocker(session: Session) -> str:
        started.set()
        gate.wait(5)
        session.execute(insert(items).values(name="first"))
        return "first"

    def adder(name: str):  # type: ignore[no-untyped-def]
        def job(session: Session) -> str:
            session.execute(insert(items).values(name=name))
            return name

        return job

    first = write_queue.submit(blocker)
    assert started.wait(5)
    # These queue up while the first batch runs, and run together in the next one.
    futures = [write_queue.submit(adder(name)) for name in ("a", "b", "a", "c")]
    gate.set()
    assert first.result(5) == "first"
    results = []
    for future in futures:
        try:
            results.append(future.result(5))
        except Exception as error:  # the duplicate "a" violates the unique constraint
            results.append(type(error).__name__)
    assert results == ["a", "b", "IntegrityError", "c"]
    assert _names(engine) == ["a", "b", "c", "first"]
    assert (write_queue.batches, write_queue.jobs) == (2, 5)


def test_a_failed_commit_fails_every_job_of_the_batch(queue_and_engine) -> None:  # type: ignore[no-untyped-def]
    write_queue, engine = queue_and_engine
    # A deferred foreign key is checked at COMMIT: the way to make a commit itself fail.
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
        connection.execute(text("CREATE TABLE child (pid INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)"))

    def ok(session: Session) -> str:
        session.execute(insert(items).values(name="kept?"))
        return "ok"

    def orphan(session: Session) -> str:
        session.execute(text("INSERT INTO child (pid) VALUES (42)"))
        return "orphan"

    gate, started = threading.Event(), threading.Event()

    def blocker(session: Session) -> bool:
        started.set()
        return gate.wait(5)

    first = write_queue.submit(blocker)
    assert started.wait(5)
    futures = [write_queue.submit(ok), write_queue.submit(orphan)]
    gate.set()
    assert first.result(5) is True  # its own batch committed
    for future in futures:
        with pytest.raises(Exception, match="FOREIGN KEY"):
            future.result(5)
    assert _names(engine) == []


def test_busy_while_a_batch_runs_or_waits_and_idle_after(queue_and_engine) -> None:  # type: ignore[no-untyped-def]
    write_queue, _engine = queue_and_engine
    assert write_queue.is_busy() is False
    gate, started = threading.Event(), threading.Event()

    def blocker(session: Session) -> None:
        started.set()
        gate.wait(5)

    done = write_queue.submit(blocker)
    assert started.wait(5)
    assert write_queue.is_busy() is True  # a batch is being written
    gate.set()
    done.result(5)
    finished = write_queue.submit(lambda session: None)
    finished.result(5)
    for _ in range(500):  # bounded: the writer marks itself idle right after answering
        if not write_queue.is_busy():
            break
        threading.Event().wait(0.01)
    assert write_queue.is_busy() is False
