"""Group commit: many small write transactions from concurrent requests become one.

On SQLite every commit under ``synchronous=FULL`` waits for an fsync, and only one writer holds the
lock at a time, so a process that commits each ticket on its own is bound by fsyncs, not by work.
Requests hand their unit of work to one writer thread per process; it runs the jobs that are waiting,
each inside its own SAVEPOINT (one job's failure rolls back only that job), commits once, and then
answers every caller. A caller is answered only after the commit that made its change durable.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from aftersales.core.write_gate import WriteTurn

T = TypeVar("T")
Job = Callable[[Session], Any]

log = logging.getLogger("aftersales.write_queue")


class WriteQueue:
    """One writer thread that batches submitted jobs into shared transactions."""

    def __init__(
        self, session_factory: sessionmaker[Session], *, max_batch: int = 64, turn: WriteTurn | None = None
    ) -> None:
        self._factory = session_factory
        self._max_batch = max_batch
        # Shows a background child (the dispatcher) when people's writes are in hand: it then gives way.
        self._turn = turn
        self._queue: queue.SimpleQueue[tuple[Job, Future[Any]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._in_batch = False
        self.batches = 0
        self.jobs = 0

    def submit(self, job: Callable[[Session], T]) -> Future[T]:
        """Queue a job; the future resolves after the commit that includes it (or with its error)."""
        future: Future[T] = Future()
        self._ensure_started()
        self._queue.put((job, future))
        return future

    def stop(self, timeout: float = 10.0) -> None:
        """Finish what is queued, then end the writer thread."""
        with self._start_lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="aftersales-writer", daemon=True)
                self._thread.start()

    def is_busy(self) -> bool:
        """People's writes are queued or being written now (background work of this process yields)."""
        return self._in_batch or not self._queue.empty()

    def _run(self) -> None:
        turn = self._turn
        while True:
            self._in_batch = False
            if turn is not None:
                turn.set_people_busy(not self._queue.empty())
            first = self._queue.get()
            self._in_batch = True
            if turn is not None:
                turn.set_people_busy(True)
            if first is None:
                return
            batch = [first]
            stop_after = False
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop_after = True
                    break
                batch.append(item)
            try:
                self._run_batch(batch)
            except BaseException:  # pragma: no cover - _run_batch answers every future itself
                log.exception("write batch crashed")
            if stop_after:
                return

    def _run_batch(self, batch: list[tuple[Job, Future[Any]]]) -> None:
        outcomes: list[tuple[Future[Any], bool, Any]] = []
        session = self._factory()
        try:
            for job, future in batch:
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    with session.begin_nested():
                        outcomes.append((future, True, job(session)))
                except Exception as error:
                    outcomes.append((future, False, error))
            session.commit()
        except Exception as error:
            session.rollback()
            for future, ok, value in outcomes:
                future.set_exception(error if ok else value)
            return
        finally:
            session.close()
        self.batches += 1
        self.jobs += len(outcomes)
        for future, ok, value in outcomes:
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
