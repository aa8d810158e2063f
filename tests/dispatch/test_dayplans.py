"""Day plans on a real database: built over the area's crews, superseding the previous plan, assigning
tickets with the ETA on the timeline; emergencies inserted at intake or escalated with the reason."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.enums import OrganisationKind, Role
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core import offload
from aftersales.core.clock import FrozenClock
from aftersales.dispatch.network import service
from aftersales.dispatch.planning import appointments, decisions, emergencies
from aftersales.dispatch.planning.models import DayPlan, PlanStop
from aftersales.notifications.models import OutboxMessage
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import Priority, TicketKind
from aftersales.tickets.models import Ticket, TicketEvent
from tests import factories
from tests.conftest import UserFactory, local, ticket_body

# Nanshan (southwest) and Futian (centre) bases; the test addresses are all in Nanshan.
BASES = {"west1": (113.93, 22.53), "west2": (113.94, 22.52), "east1": (114.05, 22.54)}
STREETS = ["科技园1号", "科技园2号", "后海大道3号", "蛇口工业区4号", "西丽街道5号", "粤海街道6号"]


@pytest.fixture
def area(db: Session, clock: FrozenClock) -> dict[str, int]:
    """Shenzhen's service center (40 km around Futian) and its three technicians; user ids by name."""
    factories.organisation(db, clock=clock, code="HQ", name="总部", kind=OrganisationKind.HQ)
    center = factories.organisation(
        db,
        clock=clock,
        code="SZ",
        name="深圳服务中心",
        kind=OrganisationKind.SERVICE_CENTER,
        parent_code="HQ",
        city="深圳市",
    )
    factories.service_point(db, organisation_id=center.id, site=(113.95, 22.54), radius_km=40)
    users = {
        username: factories.technician(
            db,
            clock=clock,
            username=username,
            organisation_code="SZ",
            home=home,
            skills=["lock:repair", "lock:installation"],
            shift=("08:00", "18:00"),
            lunch_break=("12:00", "13:00"),
            max_jobs_per_day=6,
        ).user.id
        for username, home in BASES.items()
    }
    db.commit()
    return users


def _job(
    db: Session,
    clock: FrozenClock,
    index: int,
    *,
    kind: TicketKind = TicketKind.REPAIR,
    priority: Priority = Priority.ROUTINE,
) -> Ticket:
    """Customer ``index``'s repair in Nanshan, opened by the factory: waiting, not yet dispatched."""
    return factories.ticket(
        db,
        clock=clock,
        kind=kind,
        priority=priority,
        external_id=f"plan-{index}",
        customer_name=f"客户{index}",
        phone=f"1390000{index:04d}",
        address=f"广东省深圳市南山区{STREETS[index % 6]}",
    )


def _open(client: TestClient, token: str, index: int, **overrides: object) -> dict[str, object]:
    """Customer ``index``'s repair opened through the API, whose intake dispatches it."""
    body = ticket_body(
        kind="repair",
        priority="routine",
        external_id=f"plan-{index}",
        customer={
            "name": f"客户{index}",
            "phone": f"1390000{index:04d}",
            "address": f"广东省深圳市南山区{STREETS[index % 6]}",
        },
    )
    body.update(overrides)
    headers = {"Authorization": f"Bearer {token}"}
    reply = client.post("/api/v1/tickets", json=body, headers=headers)
    assert reply.status_code == 201, reply.text
    # The dispatch decision follows the ticket's commit (inline in tests): read the ticket as it is now.
    return dict(client.get(f"/api/v1/tickets/{reply.json()['id']}", headers=headers).json())


def test_a_plan_assigns_and_sequences_the_area_jobs_and_supersedes_the_last(
    client: TestClient, db: Session, clock: FrozenClock, area: dict[str, int], make_user: UserFactory
) -> None:
    _, token = make_user(Role.DISPATCHER, username="planner")
    headers = {"Authorization": f"Bearer {token}"}
    tickets = [_job(db, clock, i) for i in range(9)]
    db.commit()
    reply = client.post("/api/v1/dispatch/plans", json={"area": "深圳市", "seconds": 1}, headers=headers)
    assert reply.status_code == 201, reply.text
    plan = reply.json()
    assert plan["summary"]["jobs"] == 9 and plan["summary"]["assigned"] == 9 and plan["summary"]["unassigned"] == []
    planned = {stop["ticket_id"]: route["technician"] for route in plan["routes"] for stop in route["stops"]}
    assert sorted(planned) == sorted(t.id for t in tickets)
    for route in plan["routes"]:
        etas = [stop["eta"] for stop in route["stops"]]
        assert etas == sorted(etas) and all(eta >= "2026-11-22T10:00:00+08:00" for eta in etas)
        assert [stop["sequence"] for stop in route["stops"]] == list(range(1, len(etas) + 1))
        assert len(etas) <= 6
    # Every ticket now belongs to its planned technician, and its timeline says when they will come.
    for ticket_id, username in planned.items():
        assert db.scalar(select(Ticket.assignee_id).where(Ticket.id == ticket_id)) == area[username]
        note = db.scalar(
            select(TicketEvent.note)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.type == "dispatch")
            .order_by(TicketEvent.id.desc())
        )
        assert note is not None and note.startswith(f"11月22日计划：{username} 第 ")
    again = client.post("/api/v1/dispatch/plans", json={"area": "深圳市", "seconds": 1}, headers=headers)
    assert again.status_code == 201
    statuses = db.execute(select(DayPlan.id, DayPlan.status).order_by(DayPlan.id)).all()
    assert [status for _, status in statuses] == ["superseded", "active"]
    current = client.get("/api/v1/dispatch/plans", params={"area": "深圳市"}, headers=headers).json()
    assert current["id"] == again.json()["id"] == statuses[1][0]


def test_plan_input_errors_change_nothing(
    client: TestClient, db: Session, area: dict[str, int], make_user: UserFactory
) -> None:
    _, token = make_user(Role.DISPATCHER, username="planner2")
    headers = {"Authorization": f"Bearer {token}"}
    for body, code in (
        ({"area": "拉萨市"}, "dispatch.invalid"),  # no crews there
        ({"area": "深圳市", "day": "2026-11-21"}, "dispatch.invalid"),  # the past
        ({"area": "深圳市", "day": "2026-12-31"}, "dispatch.invalid"),  # too far ahead
    ):
        reply = client.post("/api/v1/dispatch/plans", json=body, headers=headers)
        assert reply.status_code == 422 and reply.json()["code"] == code, reply.text
    assert client.post("/api/v1/dispatch/plans", json={"area": ""}, headers=headers).status_code == 422
    missing = client.get("/api/v1/dispatch/plans", params={"area": "深圳市"}, headers=headers)
    assert missing.status_code == 404 and missing.json()["code"] == "dispatch.plan_not_found"
    assert db.scalar(select(func.count()).select_from(DayPlan)) == 0
    _, tech_token = make_user(Role.TECHNICIAN, username="nosy")
    denied = client.post(
        "/api/v1/dispatch/plans", json={"area": "深圳市"}, headers={"Authorization": f"Bearer {tech_token}"}
    )
    assert denied.status_code == 403


def test_an_urgent_job_is_inserted_into_todays_plan_at_intake(
    client: TestClient, db: Session, clock: FrozenClock, area: dict[str, int], make_user: UserFactory
) -> None:
    dispatcher, token = make_user(Role.DISPATCHER, username="planner3")
    for i in range(6):
        _job(db, clock, i)
    factories.day_plan(db, clock=clock, area="深圳市", actor=dispatcher)
    db.commit()
    urgent = _open(client, token, 50, priority="urgent", description="被锁在门外，指纹锁打不开")
    assert urgent["assignee"] in {"west1", "west2", "east1"}
    note = db.scalar(
        select(TicketEvent.note).where(TicketEvent.ticket_id == urgent["id"], TicketEvent.type == "dispatch")
    )
    assert note is not None and note.startswith(f"紧急插单：插入 {urgent['assignee']} 的行程，预计 ")
    stop = db.scalar(select(PlanStop).where(PlanStop.ticket_id == urgent["id"]))
    assert stop is not None and stop.technician_id == area[str(urgent["assignee"])]
    assert stop.arrival_at <= datetime.fromisoformat(str(urgent["sla"]["onsite_due_at"]))  # type: ignore[index]
    told = db.scalar(select(OutboxMessage.recipient_user_id).where(OutboxMessage.kind == "emergency_dispatch"))
    assert told == area[str(urgent["assignee"])]


@pytest.fixture(params=[False, True], ids=["here", "in-a-child-process"])
def offloaded(request: pytest.FixtureRequest) -> Iterator[bool]:
    """A server places emergencies (and solves the re-plan) in its child process: same answer either way."""
    offload.enable(request.param)
    try:
        yield request.param
    finally:
        offload.enable(False)


def test_an_emergency_nobody_can_reach_in_time_is_escalated_with_the_reason(
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    area: dict[str, int],
    make_user: UserFactory,
    offloaded: bool,
) -> None:
    dispatcher, _ = make_user(Role.DISPATCHER, username="planner4")
    make_user(Role.MANAGER, username="boss", organisation_code="SZ")
    for username, user_id in area.items():  # everyone goes home at 10:30
        home = BASES[username]
        service.set_technician(
            db, user_id=user_id, longitude=home[0], latitude=home[1], skills=["lock:repair"], shift=("08:00", "10:30")
        )
    urgent = _job(db, clock, 60, priority=Priority.URGENT)
    result = emergencies.insert_emergency(db, clock=clock, actor=dispatcher, ticket_id=urgent.id)
    assert result.assigned_to is None and result.method == "none"
    # Nobody can squeeze 45 minutes on site into their last half hour, even after re-planning.
    assert result.reason == "重新优化后仍无法在时限 12:00 前安排"
    escalation = db.scalar(
        select(TicketEvent.note).where(TicketEvent.ticket_id == urgent.id, TicketEvent.type == "escalation")
    )
    assert escalation == f"紧急工单无法按时上门，已升级：{result.reason}"
    notice = db.execute(
        select(OutboxMessage.recipient_user_id, OutboxMessage.kind).where(OutboxMessage.kind == "dispatch_escalation")
    ).all()
    assert len(notice) == 1
    # Asking again does not notify twice.
    emergencies.insert_emergency(db, clock=clock, actor=dispatcher, ticket_id=urgent.id)
    assert db.scalar(select(func.count()).where(OutboxMessage.kind == "dispatch_escalation")) == 1
    assert (offload.worker_pid() != os.getpid()) is offloaded


def test_emergency_input_errors(
    client: TestClient, db: Session, clock: FrozenClock, area: dict[str, int], make_user: UserFactory
) -> None:
    _, token = make_user(Role.DISPATCHER, username="planner5")
    headers = {"Authorization": f"Bearer {token}"}
    routine = _job(db, clock, 70)
    consultation = _job(db, clock, 71, kind=TicketKind.CONSULTATION, priority=Priority.URGENT)
    db.commit()
    reply = client.post(f"/api/v1/tickets/{routine.id}/dispatch/emergency", headers=headers)
    assert reply.status_code == 422 and reply.json()["detail"] == "工单没有待达成的上门时限"
    reply = client.post(f"/api/v1/tickets/{consultation.id}/dispatch/emergency", headers=headers)
    assert reply.status_code == 422 and reply.json()["code"] == "dispatch.invalid"
    assert db.scalar(select(func.count()).select_from(DayPlan)) == 0


def test_a_technician_profile_with_a_bad_lunch_break_is_refused(db: Session, area: dict[str, int]) -> None:
    from aftersales.core.errors import InvalidInputError
    from aftersales.dispatch.network.models import Technician

    for lunch in (("13:00", "12:00"), ("07:00", "08:00"), ("12:00", "25:00")):
        with pytest.raises(InvalidInputError, match="午休"):
            service.set_technician(
                db,
                user_id=area["west1"],
                longitude=113.9,
                latitude=22.5,
                skills=["lock:repair"],
                lunch_break=lunch,
                van_code="粤B-12345",
            )
    profile = db.get(Technician, area["west1"])
    assert profile is not None and (profile.break_start, profile.break_end, profile.van_code) == (
        "12:00",
        "13:00",
        None,
    )


def test_console_plan_page_and_the_technicians_ordered_jobs_with_etas(
    client: TestClient, db: Session, clock: FrozenClock, area: dict[str, int], make_user: UserFactory
) -> None:
    from tests.conftest import console_login

    make_user(Role.DISPATCHER, username="planner6")
    numbers = [_job(db, clock, i).number for i in range(4)]
    db.commit()
    csrf = console_login(client, db, "planner6")
    empty = client.get("/console/plans?area=深圳市")
    assert empty.status_code == 200 and "还没有这一天的计划" in empty.text
    made = client.post("/console/plans", data={"csrf_token": csrf, "area": "深圳市", "day": "2026-11-22"})
    assert made.status_code in (200, 303)
    page = client.get("/console/plans?area=深圳市&day=2026-11-22")
    assert "任务 4 个，已安排 4 个，技术员 3 名" in page.text
    assert all(f'data-ticket="{number}"' in page.text for number in numbers)
    refused = client.post("/console/plans", data={"csrf_token": csrf, "area": "深圳市", "day": "2026-11-01"})
    assert refused.status_code == 422 and "不能为过去的日期制定计划" in refused.text
    # The technician with the first stop sees it first, with its ETA.
    first = db.execute(select(PlanStop.technician_id, PlanStop.ticket_id).where(PlanStop.sequence == 1)).first()
    assert first is not None
    username = next(name for name, user_id in area.items() if user_id == first.technician_id)
    client.cookies.clear()
    console_login(client, db, username)
    jobs = client.get("/console/jobs").text
    number = db.scalar(select(Ticket.number).where(Ticket.id == first.ticket_id))
    first_item = jobs.index("<li data-ticket=")
    assert jobs.index(f'<li data-ticket="{number}">') == first_item
    assert (
        first_item < jobs.index("第 1 站 · 预计") < jobs.index("<li data-ticket=", first_item + 1)
        if jobs.count("<li data-ticket=") > 1
        else first_item < jobs.index("第 1 站 · 预计")
    )


def test_a_booked_job_given_up_for_an_emergency_goes_back_to_the_queue(
    client: TestClient, db: Session, clock: FrozenClock, area: dict[str, int], make_user: UserFactory
) -> None:
    from datetime import date

    dispatcher, token = make_user(Role.DISPATCHER, username="planner7")
    headers = {"Authorization": f"Bearer {token}"}
    # Only west1 works today, until noon, with no lunch: two booked jobs fill the rest of the morning.
    for username, user_id in area.items():
        home = BASES[username]
        service.set_technician(
            db,
            user_id=user_id,
            longitude=home[0],
            latitude=home[1],
            skills=["lock:repair"],
            shift=("08:00", "12:00"),
            days_off=[] if username == "west1" else [date(2026, 11, 22)],
        )
    booked = [_job(db, clock, 80 + i) for i in range(2)]
    for ticket in booked:
        appointments.book(
            db,
            clock=clock,
            actor=dispatcher,
            ticket_id=ticket.id,
            start=local(2026, 11, 22, 10, 15),
            end=local(2026, 11, 22, 12),
        )
    plan = factories.day_plan(db, clock=clock, area="深圳市", actor=dispatcher)
    db.commit()
    assert plan.summary["assigned"] == 2
    urgent = _open(client, token, 90, priority="urgent")
    assert urgent["assignee"] == "west1"
    given_up = [
        ticket_id
        for ticket_id in (t.id for t in booked)
        if db.scalar(select(Ticket.assignee_id).where(Ticket.id == ticket_id)) is None
    ]
    assert len(given_up) == 1
    note = db.scalar(
        select(TicketEvent.note)
        .where(TicketEvent.ticket_id == given_up[0], TicketEvent.type == "dispatch")
        .order_by(TicketEvent.id.desc())
    )
    assert note == f"因紧急工单 {urgent['number']} 插单，原计划的上门无法保持，已退回调度台重新安排"
    current = client.get("/api/v1/dispatch/plans", params={"area": "深圳市"}, headers=headers).json()
    assert [row["ticket_id"] for row in current["summary"]["unassigned"]] == given_up
    planned = [stop["ticket_id"] for route in current["routes"] for stop in route["stops"]]
    assert sorted(planned) == sorted([int(str(urgent["id"])), *(t.id for t in booked if t.id not in given_up)])


def test_a_plan_never_gives_a_job_to_a_crew_without_the_skill_the_area_or_the_day(
    client: TestClient, db: Session, clock: FrozenClock, area: dict[str, int], make_user: UserFactory
) -> None:
    from datetime import date

    _, token = make_user(Role.DISPATCHER, username="planner8")
    # east1 only repairs tablets; west2 has the day off; a Guangzhou technician is not in this area.
    service.set_technician(db, user_id=area["east1"], longitude=114.05, latitude=22.54, skills=["tablet:repair"])
    service.set_technician(
        db,
        user_id=area["west2"],
        longitude=113.94,
        latitude=22.52,
        skills=["lock:repair"],
        days_off=[date(2026, 11, 22)],
    )
    accounts_service.create_organisation(
        db,
        clock=clock,
        actor=SYSTEM_ACTOR,
        code="GZ",
        name="广州服务中心",
        kind=OrganisationKind.SERVICE_CENTER,
        parent_code="HQ",
        city="广州市",
    )
    other, _ = make_user(Role.TECHNICIAN, username="gz1", organisation_code="GZ")
    service.set_technician(db, user_id=other.user_id or 0, longitude=113.93, latitude=22.53, skills=["*:repair"])
    for i in range(5):
        _job(db, clock, 100 + i)
    db.commit()
    plan = client.post(
        "/api/v1/dispatch/plans", json={"area": "深圳市", "seconds": 1}, headers={"Authorization": f"Bearer {token}"}
    ).json()
    owners = {route["technician"] for route in plan["routes"]}
    assert owners == {"west1"} and plan["summary"]["technicians"] == 2  # west1 and east1; west2 is off
    assert plan["summary"]["assigned"] == 5


def test_the_board_dispatches_a_waiting_job_with_one_click(
    client: TestClient, db: Session, clock: FrozenClock, area: dict[str, int], make_user: UserFactory
) -> None:
    from tests.conftest import console_login

    dispatcher, _ = make_user(Role.DISPATCHER, username="planner9")
    waiting = factories.ticket(db, clock=clock, actor=dispatcher)  # not dispatched
    db.commit()
    csrf = console_login(client, db, "planner9")
    board = client.get("/console/board").text
    assert f'hx-post="/console/tickets/{waiting.id}/auto-dispatch"' in board
    reply = client.post(
        f"/console/tickets/{waiting.id}/auto-dispatch", data={"csrf_token": csrf}, headers={"HX-Request": "true"}
    )
    assert reply.status_code == 200
    assignee = db.scalar(select(Ticket.assignee_id).where(Ticket.id == waiting.id))
    username = next(name for name, user_id in area.items() if user_id == assignee)
    assert f'data-assigned="{username}"' in reply.text and "自动派单给" in reply.text
    assert f'id="version-{waiting.id}" hx-swap-oob="true"' in reply.text


def test_an_insertion_worked_out_for_an_urgent_job_is_not_written_once_the_job_is_no_longer_urgent(
    db: Session, clock: FrozenClock, area: dict[str, int], make_user: UserFactory
) -> None:
    dispatcher, _ = make_user(Role.DISPATCHER, username="planner9")
    for i in range(6):
        _job(db, clock, i)
    factories.day_plan(db, clock=clock, area="深圳市", actor=dispatcher)
    urgent = _job(db, clock, 60, priority=Priority.URGENT)
    db.flush()
    planned = emergencies.plan_insertion(db, clock=clock, actor=dispatcher, ticket_id=urgent.id)
    assert planned.outcome.technician_id is not None  # it would have gone into the plan
    tickets_service.update_ticket(
        db, clock=clock, actor=dispatcher, ticket_id=urgent.id, version=urgent.version, priority=Priority.ROUTINE
    )
    stops_before = db.scalar(select(func.count()).select_from(PlanStop))
    assigned, reason = decisions.dispatch_now(db, clock=clock, actor=dispatcher, ticket_id=urgent.id, planned=planned)
    # Decided as the routine job it now is: the nearest free technician, and the plan left as it was.
    assert assigned in {"west1", "west2", "east1"} and reason.startswith(f"自动派单给 {assigned}：")
    assert db.scalar(select(func.count()).select_from(PlanStop)) == stops_before
    assert db.scalar(select(PlanStop).where(PlanStop.ticket_id == urgent.id)) is None
