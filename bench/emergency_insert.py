"""Emergency insertion into a 50-technician day plan, through the real service on a real database.

A Shenzhen-sized area (SQLite file, migrated): 50 technicians with home bases spread over the city
(08:00-18:00, lunch 12:00-13:00, at most 9 jobs), ``--jobs`` open repair tickets whose addresses are
scattered over the city, booked into two-hour windows (the rest unbooked). The day is planned with
``dayplans.build_plan`` (VROOM), then ``--emergencies`` urgent tickets arrive through the day; each is
inserted with ``emergencies.insert_emergency`` and committed, and the time of that call is recorded, with
the method (insertion, re-plan, none) and whether the ETA meets the 2-hour on-site deadline.

    .venv/bin/python bench/emergency_insert.py [--jobs 420] [--emergencies 40]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import latency_summary_ms, machine_info, run_at_commit, write_result

SHANGHAI = ZoneInfo("Asia/Shanghai")
CITY = ((113.85, 22.50), (114.25, 22.75))
DISTRICTS = ["南山区", "福田区", "罗湖区", "宝安区", "龙华区", "龙岗区"]


def main() -> None:
    run_at_commit()
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=420)
    parser.add_argument("--emergencies", type=int, default=40)
    parser.add_argument("--technicians", type=int, default=50)
    args = parser.parse_args()

    from sqlalchemy import update

    from aftersales.accounts import service as accounts_service
    from aftersales.accounts.enums import OrganisationKind, Role
    from aftersales.accounts.schemas import SYSTEM_ACTOR
    from aftersales.core import migrate
    from aftersales.core.clock import FrozenClock
    from aftersales.core.db import make_engine, make_session_factory, unit_of_work
    from aftersales.customers.models import Address
    from aftersales.dispatch.network import service as dispatch_service
    from aftersales.dispatch.planning import appointments, emergencies
    from aftersales.dispatch.planning import service as dayplans
    from aftersales.sla.defaults import seed_defaults
    from aftersales.tickets.enums import Channel, Priority, TicketKind
    from aftersales.tickets.schemas import TicketCreate
    from aftersales.usecases import intake as flows

    rng = random.Random(5)
    folder = tempfile.mkdtemp(prefix="aftersales-emergency-")
    engine = make_engine(f"sqlite:///{folder}/bench.db")
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    day = datetime(2026, 12, 1, tzinfo=SHANGHAI)
    clock = FrozenClock(day.replace(hour=7))
    (lon0, lat0), (lon1, lat1) = CITY

    def spot() -> tuple[float, float]:
        return (round(rng.uniform(lon0, lon1), 5), round(rng.uniform(lat0, lat1), 5))

    with unit_of_work(factory) as session:
        seed_defaults(session)
        accounts_service.create_organisation(
            session, clock=clock, actor=SYSTEM_ACTOR, code="HQ", name="总部", kind=OrganisationKind.HQ
        )
        center = accounts_service.create_organisation(
            session,
            clock=clock,
            actor=SYSTEM_ACTOR,
            code="SZ",
            name="深圳服务中心",
            kind=OrganisationKind.SERVICE_CENTER,
            parent_code="HQ",
            city="深圳市",
        )
        dispatch_service.set_service_point(
            session, organisation_id=center.id, kind="service_center", longitude=114.05, latitude=22.62, radius_km=60
        )
        for number in range(args.technicians):
            user = accounts_service.create_user(
                session,
                clock=clock,
                actor=SYSTEM_ACTOR,
                username=f"tech{number:03d}",
                role=Role.TECHNICIAN,
                password="bench-password-1",
                display_name=f"技术员{number:03d}",
                organisation_code="SZ",
            )
            home = spot()
            dispatch_service.set_technician(
                session,
                user_id=user.id,
                longitude=home[0],
                latitude=home[1],
                skills=["*:repair", "*:installation"],
                lunch_break=("12:00", "13:00"),
                max_jobs_per_day=9,
            )

    def open_ticket(session: object, index: int, priority: Priority) -> int:
        request = TicketCreate(
            kind=TicketKind.REPAIR,
            priority=priority,
            channel=Channel.HOTLINE,
            customer={
                "name": f"客户{index}",
                "phone": f"139{index:08d}",
                "address": f"广东省深圳市{DISTRICTS[index % len(DISTRICTS)]}某某路{index}号",
            },
            description="门锁故障，需要上门维修",
        )
        ticket, _ = flows.open_ticket(session, clock=clock, actor=SYSTEM_ACTOR, request=request)  # type: ignore[arg-type]
        lon, lat = spot()  # street-level coordinates (the parser knows only district centres)
        session.execute(update(Address).where(Address.id == ticket.address.id).values(longitude=lon, latitude=lat))  # type: ignore[attr-defined]
        return ticket.id

    began = time.perf_counter()
    with unit_of_work(factory) as session:
        for index in range(args.jobs):
            ticket_id = open_ticket(session, index, Priority.ROUTINE)
            if rng.random() < 0.7:
                start = day.replace(hour=rng.choice([9, 11, 13, 15]))
                appointments.book(
                    session,
                    clock=clock,
                    actor=SYSTEM_ACTOR,
                    ticket_id=ticket_id,
                    start=start,
                    end=start + timedelta(hours=2),
                )
    setup_s = time.perf_counter() - began

    began = time.perf_counter()
    with unit_of_work(factory) as session:
        plan = dayplans.build_plan(session, clock=clock, actor=SYSTEM_ACTOR, area="深圳市", seconds=10)
        summary = dict(plan.summary)
    plan_s = time.perf_counter() - began
    print(
        {
            "setup_s": round(setup_s, 1),
            "plan_s": round(plan_s, 1),
            **{k: summary[k] for k in ("jobs", "assigned", "total_km")},
        },
        file=sys.stderr,
    )

    timings, methods, on_time = [], {"insertion": 0, "move": 0, "replan": 0, "none": 0}, 0
    arrivals = sorted(rng.uniform(8.25, 16.0) for _ in range(args.emergencies))
    for number, hour in enumerate(arrivals):
        clock.set(day + timedelta(hours=hour))
        with unit_of_work(factory) as session:
            ticket_id = open_ticket(session, 100_000 + number, Priority.URGENT)
        with unit_of_work(factory) as session:
            started = time.perf_counter()
            result = emergencies.insert_emergency(session, clock=clock, actor=SYSTEM_ACTOR, ticket_id=ticket_id)
            session.commit()
            timings.append(time.perf_counter() - started)
        methods[result.method] += 1
        if result.eta is not None and result.eta <= clock.now() + timedelta(hours=2):
            on_time += 1
        print(number, f"{hour:.2f}", result.method, round(timings[-1] * 1000, 1), "ms", result.reason, file=sys.stderr)

    with unit_of_work(factory) as session:
        from sqlalchemy import func, select

        from aftersales.tickets.models import TicketEvent

        handed_back = session.scalar(
            select(func.count()).where(TicketEvent.type == "dispatch", TicketEvent.note.like("因紧急工单%"))
        )
        moved = session.scalar(
            select(func.count()).where(TicketEvent.type == "dispatch", TicketEvent.note.like("紧急插单后调整%"))
        )
    latency = latency_summary_ms(timings)
    print(latency, file=sys.stderr)
    print(
        write_result(
            "emergency_insert",
            {
                "benchmark": "emergency_insert",
                "machine": machine_info(),
                "technicians": args.technicians,
                "jobs": args.jobs,
                "plan": {**summary, "wall_s": round(plan_s, 1)},
                "emergencies": args.emergencies,
                "methods": methods,
                "eta_within_2h": on_time,
                "booked_jobs_handed_back": handed_back,
                "booked_jobs_moved_to_another_crew": moved,
                "insert_latency_ms": latency,
            },
        )
    )


if __name__ == "__main__":
    main()
