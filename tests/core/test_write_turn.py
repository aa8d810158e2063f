"""SQLite's write lock handed to a background child: the child's engine raises the shared flag while it
waits and writes; the serving process's engine lets it go first, but never waits on a stale flag for long."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from sqlalchemy import Engine, text

from aftersales.core.db import make_engine
from aftersales.core.write_gate import WriteTurn


def _engines(tmp_path: Path, turn: WriteTurn) -> tuple[Engine, Engine]:
    url = f"sqlite:///{tmp_path / 'turn.db'}"
    serving = make_engine(url, write_turn=turn)
    child = make_engine(url, write_turn=turn, takes_turn=True)
    with serving.begin() as connection:
        connection.execute(text("CREATE TABLE seen (who TEXT)"))
    return serving, child


def test_the_childs_engine_raises_the_flag_for_its_write_transaction_only(tmp_path: Path) -> None:
    turn = WriteTurn()
    serving, child = _engines(tmp_path, turn)
    assert not turn.is_wanted
    with child.begin() as connection:
        connection.execute(text("INSERT INTO seen VALUES ('child')"))
        assert turn.is_wanted
    assert not turn.is_wanted
    with serving.begin() as connection:  # the serving side never raises it
        connection.execute(text("INSERT INTO seen VALUES ('serving')"))
        assert not turn.is_wanted
    with child.connect() as connection:
        assert connection.execute(text("SELECT who FROM seen ORDER BY rowid")).scalars().all() == ["child", "serving"]


def test_the_serving_process_waits_while_the_child_wants_the_lock(tmp_path: Path) -> None:
    turn = WriteTurn()
    turn.GIVE_WAY_SECONDS = 30.0  # long enough that only the release can end the wait here
    serving, _ = _engines(tmp_path, turn)
    order: list[str] = []
    turn.want()

    def serve() -> None:
        with serving.begin() as connection:
            order.append("serving began")
            connection.execute(text("INSERT INTO seen VALUES ('serving')"))

    thread = threading.Thread(target=serve)
    thread.start()
    thread.join(0.2)
    assert thread.is_alive() and order == []  # still giving way
    order.append("child done")
    turn.release()
    thread.join(30)
    assert order == ["child done", "serving began"]


def test_a_flag_left_up_by_a_dead_child_delays_a_write_by_the_bound_only(tmp_path: Path) -> None:
    turn = WriteTurn()
    serving, _ = _engines(tmp_path, turn)
    turn.want()  # nobody will lower it
    with serving.begin() as connection:
        connection.execute(text("INSERT INTO seen VALUES ('serving')"))
    with serving.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM seen")).scalar_one() == 1
    assert turn.is_wanted


def test_the_flag_falls_and_the_gate_opens_only_once_the_commit_is_done(tmp_path: Path) -> None:
    """Released before its commit, the child let the serving process try ``BEGIN IMMEDIATE`` while the
    lock was still held: the try failed and backed off for milliseconds with the lock idle."""
    turn = WriteTurn()
    _, child = _engines(tmp_path, turn)
    other = sqlite3.connect(tmp_path / "turn.db", isolation_level=None, timeout=0)
    seen: list[tuple[bool, bool]] = []
    real_release = turn.release

    def release() -> None:
        try:  # the lock is free the moment the flag falls
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            free = True
        except sqlite3.OperationalError:
            free = False
        seen.append((free, turn.is_wanted))
        real_release()

    turn.release = release  # type: ignore[method-assign]
    with child.begin() as connection:
        connection.execute(text("INSERT INTO seen VALUES ('committed')"))
    try:
        with child.begin() as connection:
            connection.execute(text("INSERT INTO seen VALUES ('rolled back')"))
            raise RuntimeError("undo")
    except RuntimeError:
        pass
    assert seen == [(True, True), (True, True)]
    assert [row[0] for row in other.execute("SELECT who FROM seen")] == ["committed"]
    other.close()


def test_a_child_sees_the_people_of_another_serving_process_writing(tmp_path: Path) -> None:
    # Two serving processes on one database, each with its own child: simulated by two turns sharing the
    # people file (each opens its own descriptor, as separate processes do).
    first, second = WriteTurn(tmp_path / "db-people"), WriteTurn(tmp_path / "db-people")
    assert not first.people_are_busy and not second.people_are_busy
    first.set_people_busy(True)
    assert second.people_are_busy  # through the file: the second process's own flag is down
    assert first.people_are_busy
    second.set_people_busy(True)  # both busy: shared locks do not exclude each other
    first.set_people_busy(False)
    assert first.people_are_busy  # the second process still writes
    second.set_people_busy(False)
    assert not first.people_are_busy and not second.people_are_busy


def test_without_a_people_file_only_the_own_parent_counts(tmp_path: Path) -> None:
    alone, other = WriteTurn(), WriteTurn(tmp_path / "db-people")
    other.set_people_busy(True)
    assert not alone.people_are_busy
    alone.set_people_busy(True)
    assert alone.people_are_busy
