"""Who writes next to a SQLite database: one writer at a time, queued inside a process and handed over
between the serving process and its background child (the dispatcher)."""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import sqlite3
import threading
import time
import weakref
from pathlib import Path
from typing import Any


class WriteTurn:
    """A serving process and its background child (the dispatcher), sharing one SQLite database.

    The serving process's writer commits batch after batch; polling ``BEGIN IMMEDIATE`` from another
    process, the child found the lock free only by luck and its decisions starved (urgent ones took
    seconds). The child now raises a flag in shared memory while it waits or writes, and the serving
    process's writers let it go first before their next transaction (for at most ``GIVE_WAY_SECONDS``,
    so a child that died with the flag up costs little until it is replaced)."""

    GIVE_WAY_SECONDS = 0.02
    STEP_SECONDS = 0.0001

    def __init__(self, people_file: Path | None = None) -> None:
        # Raw bytes in shared memory: one process raises and lowers each, the other only reads it.
        context = multiprocessing.get_context("spawn")
        self._wanted = context.RawValue("b", 0)
        self._people_busy = context.RawValue("b", 0)
        # Several serving processes on one database: each holds a shared lock on ``people_file`` while
        # its writer is busy, so every child can tell that some process's people are writing.
        self._people_file = people_file
        self._people_fd: tuple[int, int] | None = None  # (pid, descriptor): a spawned child opens its own

    def __getstate__(self) -> dict[str, Any]:
        return self.__dict__ | {"_people_fd": None}

    @property
    def people_are_busy(self) -> bool:
        """A serving process's writer has people's writes queued or in hand — this child's parent, or any
        other serving process on the database (routine background decisions give way to them; see
        ``dispatch.planning.jobs``)."""
        if self._people_busy.value:
            return True
        fd = self._people_descriptor()
        if fd is None:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True  # someone holds it shared: their people are writing
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False

    def set_people_busy(self, busy: bool) -> None:
        """Called by the serving process's writer as it takes work and falls idle."""
        if bool(self._people_busy.value) == busy:
            return
        self._people_busy.value = 1 if busy else 0
        fd = self._people_descriptor()
        if fd is not None:
            # A child holds the file exclusively only for the instant of its test: waiting is brief.
            fcntl.flock(fd, fcntl.LOCK_SH if busy else fcntl.LOCK_UN)

    def _people_descriptor(self) -> int | None:
        if self._people_file is None:
            return None
        if self._people_fd is None or self._people_fd[0] != os.getpid():
            fd = os.open(self._people_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._people_fd = (os.getpid(), fd)
            weakref.finalize(self, os.close, fd)
        return self._people_fd[1]

    @property
    def is_wanted(self) -> bool:
        """The child waits for the write lock or holds it."""
        return bool(self._wanted.value)

    def want(self) -> None:
        """The child waits for the write lock (or holds it)."""
        self._wanted.value = 1

    def release(self) -> None:
        """The child's write transaction ended."""
        self._wanted.value = 0

    def give_way(self) -> None:
        """In the serving process, before a write transaction: wait while the child wants the lock."""
        if not self._wanted.value:
            return
        deadline = time.monotonic() + self.GIVE_WAY_SECONDS
        while self._wanted.value and time.monotonic() < deadline:
            time.sleep(self.STEP_SECONDS)


class FileWriteLock:
    """Writers of every process on one SQLite database queue in the kernel on a lock file next to it.

    Polling ``BEGIN IMMEDIATE`` from several serving processes, a loser slept between tries while the
    winner's commit ended, and the lock sat idle: two processes wrote less than one. Waiting on an
    exclusive ``flock`` instead, the next writer wakes the moment the holder lets go. The kernel lets go
    of a dead process's lock, so a crash never leaves the database stuck.

    A wait that must time out (like SQLite's busy timeout) happens on a short-lived helper thread; a lock
    the helper obtains after its caller gave up goes to the next caller, or is let go at once."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._pid = -1
        self._fd = -1
        self._state = threading.Condition()
        self._asked = False
        self._granted = False
        self._helper_waits = False

    def acquire(self, timeout_s: float) -> bool:
        """Take the lock within ``timeout_s``; False when it stayed taken."""
        fd = self._descriptor()
        with self._state:
            # While a helper waits on this open file, trying it here would "succeed" on the helper's own
            # lock the moment it has it (one open file, one lock): queue behind the helper instead.
            if not self._helper_waits:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    self._helper_waits = True
                    threading.Thread(
                        target=self._wait_in_kernel, args=(fd,), name="sqlite-write-lock", daemon=True
                    ).start()
            self._asked = True
            if self._state.wait_for(lambda: self._granted, timeout_s):
                self._granted = False
                return True
            self._asked = False
            return False

    def release(self) -> None:
        """Let the next writer in (of this process or another)."""
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _descriptor(self) -> int:
        # A forked child shares the parent's open file (and its lock): it opens a file of its own.
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._asked = self._granted = self._helper_waits = False
            weakref.finalize(self, os.close, self._fd)
        return self._fd

    def _wait_in_kernel(self, fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with self._state:
            if self._asked:
                self._asked = False
                self._granted = True
                self._state.notify_all()
            else:
                fcntl.flock(fd, fcntl.LOCK_UN)
            self._helper_waits = False


class SQLiteWriteGate:
    """Who may write next, for one SQLite database.

    SQLite admits one writer at a time. Left to its own busy handler, waiting writers sleep 1, 2, 5,
    10 … 100 ms between tries, so the lock sits idle while they doze and latency tails reach seconds
    under load. Instead, writers of this process queue on a mutex (woken the moment it is released),
    the one at the head waits for the lock file shared with other processes (``FileWriteLock``, given
    ``lock_file``), then polls ``BEGIN IMMEDIATE`` every fraction of a millisecond against writers that
    do not take that file (the ``sqlite3`` shell).
    """

    def __init__(
        self,
        timeout_s: float,
        *,
        turn: WriteTurn | None = None,
        takes_turn: bool = False,
        lock_file: Path | None = None,
    ) -> None:
        self.timeout_s = timeout_s
        self._mutex = threading.Lock()
        self._file_lock = FileWriteLock(lock_file) if lock_file is not None else None
        self._holds_file = False
        self._turn = turn
        self._takes_turn = takes_turn and turn is not None

    def begin(self, dbapi_connection: Any, busy_timeout_ms: int) -> None:
        """Take the process mutex, then SQLite's write lock; raise "database is locked" on timeout."""
        deadline = time.monotonic() + self.timeout_s
        if not self._mutex.acquire(timeout=self.timeout_s):
            raise sqlite3.OperationalError("database is locked (waited for this process's writers)")
        try:
            if self._turn is not None:
                if self._takes_turn:
                    self._turn.want()
                else:
                    self._turn.give_way()
            if self._file_lock is not None:
                if not self._file_lock.acquire(max(0.0, deadline - time.monotonic())):
                    raise sqlite3.OperationalError("database is locked (waited for other processes' writers)")
                self._holds_file = True
            dbapi_connection.execute("PRAGMA busy_timeout=0")
            delay = 0.0002
            while True:
                try:
                    dbapi_connection.execute("BEGIN IMMEDIATE")
                    break
                except sqlite3.OperationalError as error:
                    if "locked" not in str(error) and "busy" not in str(error):
                        raise
                    if time.monotonic() >= deadline:
                        raise
                    time.sleep(delay)
                    # The child keeps polling often: the serving process lets it go next.
                    delay = delay if self._takes_turn else min(delay * 2, 0.004)
            dbapi_connection.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        except BaseException:
            self._end()
            raise

    def end(self) -> None:
        """The write transaction ended (commit or rollback)."""
        self._end()

    def _end(self) -> None:
        if self._holds_file and self._file_lock is not None:
            self._holds_file = False
            self._file_lock.release()
        if self._takes_turn and self._turn is not None:
            self._turn.release()
        self._mutex.release()
