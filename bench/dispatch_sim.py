"""Dispatch policies on the demo city, and the emergency insertion time on a 50-technician day plan.

1. ``aftersales dispatch simulate``'s engine for each policy on the same generated days (40 technicians,
   420 jobs a day, 5 % emergencies; seeds 7, 8, 9).
2. A 50-technician, 500-job day planned by the routing core; then 200 emergencies, each inserted with
   ``simulation.first_to_reach`` (who reaches it first after the job in hand), timed one by one.

    .venv/bin/python bench/dispatch_sim.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import latency_summary_ms, machine_info, run_at_commit, write_result


def main() -> None:
    run_at_commit()
    from aftersales.dispatch.benchmarks import simulation

    runs = []
    for seed in (7, 8, 9):
        world = simulation.generate(technicians=40, jobs_per_day=420, days=1, seed=seed)
        for policy in ("nearest", "round_robin", "optimized"):
            began = time.perf_counter()
            result = simulation.run(world, policy=policy, seconds=10)
            result["seed"], result["seconds"] = seed, round(time.perf_counter() - began, 1)
            runs.append(result)
            print(result, file=sys.stderr)
    world = simulation.generate(technicians=50, jobs_per_day=500, days=1, seed=11, emergency_share=0.0)
    techs = [simulation._Tech(position=base) for base in world.technicians]
    queues = simulation._optimized_queues(techs, world.days[0], seconds=10)
    for index, tech in enumerate(techs):  # play the morning
        while queues[index] and tech.free_at <= 11 * 60:
            simulation._drive(tech, queues[index].pop(0))
    emergencies = simulation.generate(technicians=1, jobs_per_day=200, seed=12, emergency_share=1.0).days[0]
    timings = []
    for emergency in emergencies:
        began = time.perf_counter()
        simulation.first_to_reach(techs, emergency)
        timings.append(time.perf_counter() - began)
    insertion = latency_summary_ms(timings)
    print(insertion, file=sys.stderr)
    print(
        write_result(
            "dispatch_sim",
            {
                "benchmark": "dispatch_sim",
                "machine": machine_info(),
                "runs": runs,
                "emergency_insertion_50_technicians": insertion,
            },
        )
    )


if __name__ == "__main__":
    main()
