"""Writers of several processes queue on a lock file next to the SQLite database: the next one wakes when
the holder lets go, a wait times out like the busy timeout, and a dead holder never leaves it stuck."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from aftersales.core.db import make_engine
from aftersales.core.write_gate import FileWriteLock


def test_a_second_holder_waits_until_the_first_lets_go(tmp_path: Path) -> None:
    first, second = FileWriteLock(tmp_path / "db-writer"), FileWriteLock(tmp_path / "db-writer")
    assert first.acquire(1.0)
    got: list[bool] = []
    waiter = threading.Thread(target=lambda: got.append(second.acquire(30.0)))
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive() and got == []
    first.release()
    waiter.join(10)
    assert got == [True]
    assert not first.acquire(0.05)  # now the second one holds it
    second.release()
    assert first.acquire(1.0)
    first.release()


def test_a_lock_obtained_after_its_caller_gave_up_is_let_go(tmp_path: Path) -> None:
    first, second = FileWriteLock(tmp_path / "db-writer"), FileWriteLock(tmp_path / "db-writer")
    assert first.acquire(1.0)
    assert second.acquire(0.05) is False  # timed out: its helper still waits in the kernel
    first.release()
    third = FileWriteLock(tmp_path / "db-writer")
    assert third.acquire(10.0)  # the helper took the lock for nobody and let it go
    third.release()
    assert second.acquire(1.0)  # and the one that gave up can still take it later
    second.release()


def test_a_holder_that_dies_leaves_the_lock_free(tmp_path: Path) -> None:
    path = tmp_path / "db-writer"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(path)!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "time.sleep(600)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        lock = FileWriteLock(path)
        assert not lock.acquire(0.05)
        holder.kill()
        holder.wait(10)
        assert lock.acquire(10.0)
        lock.release()
    finally:
        holder.kill()
        holder.wait(10)
        if holder.stdout is not None:
            holder.stdout.close()


def test_a_writer_of_another_engine_times_out_and_writes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'two.db'}"
    holding, other = make_engine(url), make_engine(url, busy_timeout_ms=100)
    with holding.begin() as connection:
        connection.execute(text("CREATE TABLE seen (who TEXT)"))
    assert (tmp_path / "two.db-writer").exists()
    with holding.begin() as connection:
        connection.execute(text("INSERT INTO seen VALUES ('holding')"))
        refused = pytest.raises((OperationalError, sqlite3.OperationalError), match="database is locked")
        with refused, other.begin() as late:
            late.execute(text("INSERT INTO seen VALUES ('other')"))
    with other.begin() as connection:  # once the holder committed, the other engine writes at once
        connection.execute(text("INSERT INTO seen VALUES ('other, later')"))
    with other.connect() as connection:
        assert connection.execute(text("SELECT who FROM seen ORDER BY rowid")).scalars().all() == [
            "holding",
            "other, later",
        ]
