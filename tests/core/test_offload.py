"""Offloaded computation: the same answer from a child process, a dead child replaced, no orphans."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aftersales.core import offload
from aftersales.dispatch.planning import routing


@pytest.fixture
def child_process() -> Iterator[None]:
    offload.enable(True)
    try:
        yield
    finally:
        offload.enable(False)


def _tiny() -> routing.Plan:
    vehicles = [routing.VehicleSpec(id=1, start=0, end=0, window=(0, 100))]
    jobs = [routing.JobSpec(id=7, location=1, windows=((0, 10),)), routing.JobSpec(id=8, location=1)]
    return routing.solve([[0, 40], [40, 0]], vehicles, jobs, seconds=1)


def test_a_server_computes_in_one_child_process_with_the_same_answer(child_process: None) -> None:
    child = offload.worker_pid()
    assert child != os.getpid()
    plan = _tiny()
    assert (plan.unassigned, plan.routes, plan.cost) == ([7], {1: [8]}, 80)
    assert offload.worker_pid() == child  # one child, kept for the next call


def test_a_dead_child_is_replaced_and_the_call_still_answers(child_process: None) -> None:
    first = offload.worker_pid()
    os.kill(first, signal.SIGKILL)
    plan = _tiny()  # answered here; the broken pool is dropped
    assert (plan.routes, plan.cost) == ({1: [8]}, 80)
    assert offload.worker_pid() not in (first, os.getpid())


def test_turning_it_off_computes_here_again(child_process: None) -> None:
    offload.worker_pid()
    offload.enable(False)
    assert offload.worker_pid() == os.getpid()


def test_the_child_exits_when_its_parent_is_killed(tmp_path: Path) -> None:
    """A server killed with SIGKILL cannot stop its pool: the child notices and exits by itself."""
    script = tmp_path / "parent.py"
    script.write_text(
        "import time\n"
        "from aftersales.core import offload\n"
        "if __name__ == '__main__':\n"
        "    offload.enable(True)\n"
        "    print(offload.worker_pid(), flush=True)\n"
        "    time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        for _ in range(100):  # bounded: the child looks at its parent every second
            if not _alive(child):
                break
            time.sleep(0.1)
        assert not _alive(child)
    finally:
        parent.kill()
        parent.wait(timeout=10)
        assert parent.stdout is not None
        parent.stdout.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too (init reaps it in its own time).
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"
