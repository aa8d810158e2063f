"""SLA tracking on real tickets: warnings, breaches, escalation, pause, the sweep's reach."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.enums import OrganisationKind, Role
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import FrozenClock
from aftersales.notifications.models import OutboxMessage
from aftersales.sla.models import Calendar, Policy
from aftersales.tickets import sla_tracking
from aftersales.tickets.enums import EventType, Priority, TicketKind, TicketStatus
from aftersales.tickets.models import TicketEvent
from tests import factories
from tests.conftest import UserFactory, local, ticket_body


def _events(db: Session, ticket_id: int, event_type: str) -> list[TicketEvent]:
    db.expire_all()
    return list(
        db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id, TicketEvent.type == event_type))
    )


def _outbox(db: Session, ticket_id: int, kind: str) -> list[OutboxMessage]:
    return list(
        db.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket_id, OutboxMessage.kind == kind))
    )


def test_backdated_ticket_is_breached_once_however_often_the_sweep_runs(
    client: TestClient, auth: dict[str, str], db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.MANAGER, username="boss")
    ticket = factories.ticket(
        db, clock=clock, kind=TicketKind.REPAIR, priority=Priority.URGENT, reported_at=local(2026, 11, 19, 9)
    )
    for _ in range(3):
        sla_tracking.sweep(db, clock=clock)
        db.commit()
        clock.advance(timedelta(minutes=5))
    detail = client.get(f"/api/v1/tickets/{ticket.id}", headers=auth).json()
    assert detail["sla"]["state"] == "breached"
    breaches = _events(db, ticket.id, "sla_breached")
    assert sorted(event.data["target"] for event in breaches) == ["first_response", "onsite", "resolution"]
    assert [event.at for event in sorted(breaches, key=lambda e: e.at)] == [
        local(2026, 11, 19, 9, 30),
        local(2026, 11, 19, 11),
        local(2026, 11, 20, 9),
    ]
    assert _events(db, ticket.id, "sla_warning") == []  # a breach supersedes its warning
    escalations = _outbox(db, ticket.id, "sla_escalation")
    assert len(escalations) == 1
    assert escalations[0].recipient_user_id == accounts_service.get_user(db, "boss").id


def test_warning_then_breach_notify_assignee_and_escalate_to_supervisor(
    client: TestClient, auth: dict[str, str], db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    accounts_service.create_organisation(
        db, clock=clock, actor=SYSTEM_ACTOR, code="HQ", name="总部", kind=OrganisationKind.HQ
    )
    supervisor, _ = make_user(Role.MANAGER, username="sup", organisation_code="HQ")
    tech, _ = make_user(Role.TECHNICIAN, username="tech_w", organisation_code="HQ", supervisor_username="sup")
    ticket = factories.ticket(
        db, clock=clock, kind=TicketKind.REPAIR, priority=Priority.URGENT, assignee_username="tech_w"
    )
    db.commit()
    clock.set(local(2026, 11, 22, 10, 23))
    assert sla_tracking.sweep(db, clock=clock).warnings == 0
    clock.set(local(2026, 11, 22, 10, 24))  # 80% of 30 min
    report = sla_tracking.sweep(db, clock=clock)
    assert (report.warnings, report.breaches) == (1, 0)
    assert client.get(f"/api/v1/tickets/{ticket.id}", headers=auth).json()["sla"]["state"] == "warning"
    warnings = _outbox(db, ticket.id, "sla_warning")
    assert sorted(message.recipient_user_id for message in warnings) == sorted([tech.user_id, supervisor.user_id])
    clock.set(local(2026, 11, 22, 10, 30))
    report = sla_tracking.sweep(db, clock=clock)
    assert (report.warnings, report.breaches) == (0, 1)
    assert [m.recipient_user_id for m in _outbox(db, ticket.id, "sla_breached")] == [tech.user_id]
    assert [m.recipient_user_id for m in _outbox(db, ticket.id, "sla_escalation")] == [supervisor.user_id]
    assert sla_tracking.sweep(db, clock=clock).targets_checked == 0
    # Contact now (late): the target stays breached; the ticket stays breached.
    late = client.post(f"/api/v1/tickets/{ticket.id}/events", json={"type": "contact"}, headers=auth).json()
    assert late["sla"]["targets"][0]["state"] == "breached"
    assert late["sla"]["state"] == "breached"


def test_hold_pauses_resolution_and_moves_it_by_the_hold(
    client: TestClient, auth: dict[str, str], db: Session, clock: FrozenClock
) -> None:
    ticket = factories.ticket(db, clock=clock, kind=TicketKind.REPAIR, priority=Priority.URGENT)
    clock.set(local(2026, 11, 22, 10, 10))
    factories.walk(db, clock=clock, ticket_id=ticket.id, events=[EventType.CONTACT])
    factories.walk(db, clock=clock, ticket_id=ticket.id, events=[EventType.CHECK_IN], note="到达现场")
    db.commit()
    path = f"/api/v1/tickets/{ticket.id}/events"
    clock.set(local(2026, 11, 22, 11))
    held = client.post(path, json={"type": "hold", "note": "等配件"}, headers=auth).json()
    assert held["sla"]["state"] == "paused"
    clock.set(local(2026, 11, 25, 11))  # far past the original resolution time
    assert sla_tracking.sweep(db, clock=clock).breaches == 0
    assert _events(db, ticket.id, "sla_breached") == []
    clock.set(local(2026, 11, 22, 14))
    resumed = client.post(path, json={"type": "resume"}, headers=auth).json()
    assert resumed["sla"]["resolution_due_at"] == "2026-11-23T13:00:00+08:00"  # 10:00 + 24 h + 3 h on hold
    assert resumed["sla"]["state"] == "on_track"
    assert [t["state"] for t in resumed["sla"]["targets"]] == ["met", "met", "on_track"]


def test_sweep_never_reads_finished_targets(db: Session, clock: FrozenClock) -> None:
    factories.ticket_in_status(db, clock=clock, status=TicketStatus.CLOSED, priority=Priority.ROUTINE)
    factories.ticket_in_status(db, clock=clock, status=TicketStatus.CANCELLED, priority=Priority.URGENT)
    clock.advance(timedelta(days=30))
    assert sla_tracking.sweep(db, clock=clock).targets_checked == 0
    assert db.scalar(select(func.count()).select_from(TicketEvent).where(TicketEvent.type.like("sla_%"))) == 0


def test_statutory_calendar_in_2027_does_not_crash_and_flags_the_year(
    client: TestClient, auth: dict[str, str], db: Session, clock: FrozenClock
) -> None:
    statutory = db.scalar(select(Calendar).where(Calendar.code == "statutory"))
    assert statutory is not None and 2026 in statutory.known_years and 2027 not in statutory.known_years
    policy = db.scalar(select(Policy).where(Policy.priority == "complex"))
    assert policy is not None
    policy.calendar_id = statutory.id
    db.commit()
    clock.set(local(2026, 12, 31, 17))
    ticket = client.post("/api/v1/tickets", json=ticket_body(priority="complex", kind="repair"), headers=auth)
    assert ticket.status_code == 201
    # 12 working hours from Thu 2026-12-31 17:00: 1 h, then 2027 by the weekday rule (Fri 9 h, Mon 2 h).
    assert ticket.json()["sla"]["first_response_due_at"] == "2027-01-04T11:00:00+08:00"
    db.refresh(statutory)
    assert statutory.flagged_years == [2027]
