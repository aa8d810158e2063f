"""Timeline event types owned by the package that records them: ``tickets.events`` keeps who owns which
type, ``service.record_event`` writes only registered types, and a type claimed twice is refused."""

from __future__ import annotations

import importlib

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import FrozenClock
from aftersales.dispatch.enums import DispatchEventType, FieldEventType
from aftersales.feedback.enums import FeedbackEventType
from aftersales.knowledge.enums import KnowledgeEventType
from aftersales.quality.enums import QualityEventType
from aftersales.tickets import assignment as tickets_assignment
from aftersales.tickets import events as ticket_events
from aftersales.tickets import service as tickets_service
from aftersales.tickets import timeline as ticket_timeline
from aftersales.tickets.enums import EventType
from aftersales.tickets.errors import UnknownEventTypeError
from aftersales.tickets.models import TicketEvent
from aftersales.web import labels
from tests import factories

# The modules that record other packages' events: importing them registers the types.
RECORDERS = (
    "aftersales.dispatch.fieldwork.common",
    "aftersales.dispatch.network.service",
    "aftersales.dispatch.planning.appointments",
    "aftersales.dispatch.planning.emergencies",
    "aftersales.feedback.flows",
    "aftersales.feedback.promises",
    "aftersales.knowledge.bulletins.linking",
    "aftersales.quality.inspection.forms",
    "aftersales.quality.inspection.self_check",
)

# Every stored type and its owner: the values are those the timeline has always stored.
OWNERS = {
    "tickets": [
        "contact",
        "progress",
        "check_in",
        "result",
        "return_visit",
        "close",
        "reopen",
        "hold",
        "resume",
        "cancel",
        "register",
        "update",
        "assign",
        "sla_warning",
        "sla_breached",
        "check_in_override",
    ],
    "dispatch": [
        "appointment",
        "dispatch",
        "escalation",
        "accept",
        "decline",
        "on_the_way",
        "diagnosis",
        "parts_used",
        "photo",
        "confirmation",
        "check_out",
        "visit_reviewed",
    ],
    "knowledge": ["bulletin"],
    "feedback": ["promise", "promise_fulfilled", "follow_up"],
    "quality": ["self_check", "quality_check"],
}


def event_count(db: Session, ticket_id: int) -> int:
    db.flush()
    return db.scalar(select(func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id == ticket_id)) or 0


def test_each_package_owns_its_types_with_the_stored_values_unchanged() -> None:
    for module in RECORDERS:
        importlib.import_module(module)
    declared = {
        "tickets": list(EventType),
        "dispatch": [*DispatchEventType, *FieldEventType],
        "knowledge": list(KnowledgeEventType),
        "feedback": list(FeedbackEventType),
        "quality": list(QualityEventType),
    }
    assert {owner: [str(event_type) for event_type in types] for owner, types in declared.items()} == OWNERS
    for owner, types in OWNERS.items():
        assert [ticket_events.owner_of(event_type) for event_type in types] == [owner] * len(types)
    # Every type has its display label (web.labels), and no other label is left over.
    assert sorted(labels.EVENT) == sorted(value for types in OWNERS.values() for value in types)
    assert ticket_events.owner_of("no_such_type") is None


def test_a_type_registered_by_a_package_is_recorded(db: Session, clock: FrozenClock) -> None:
    ticket_events.register_event_types("tests.sample", ["sample_note"])
    ticket = factories.ticket(db, clock=clock)
    before = event_count(db, ticket.id)
    event = tickets_service.record_event(
        db, clock=clock, actor=SYSTEM_ACTOR, ticket=ticket, event_type="sample_note", note="示例", data={"n": 1}
    )
    assert event_count(db, ticket.id) == before + 1
    db.expire_all()
    last = ticket_timeline.events_of(db, ticket.id)[-1]
    assert (last.id, last.type, last.note, last.data, last.at, last.actor_name) == (
        event.id,
        "sample_note",
        "示例",
        {"n": 1},
        clock.now(),
        "system",
    )
    assert (last.from_status, last.to_status) == (None, None)


def test_another_package_type_is_stored_as_its_plain_value(db: Session, clock: FrozenClock) -> None:
    ticket = factories.ticket(db, clock=clock)
    tickets_service.record_event(
        db, clock=clock, actor=SYSTEM_ACTOR, ticket=ticket, event_type=DispatchEventType.APPOINTMENT, note="预约"
    )
    db.expire_all()
    stored = db.scalar(
        select(TicketEvent.type).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id.desc())
    )
    assert (type(stored), stored) == (str, "appointment")


def test_an_unregistered_type_is_refused_and_nothing_is_written(db: Session, clock: FrozenClock) -> None:
    ticket = factories.ticket(db, clock=clock)
    before = event_count(db, ticket.id)
    with pytest.raises(UnknownEventTypeError) as refused:
        tickets_service.record_event(
            db, clock=clock, actor=SYSTEM_ACTOR, ticket=ticket, event_type="not_registered", note="x"
        )
    assert refused.value.code == "ticket.unknown_event_type"
    assert refused.value.fields == {"type": "not_registered"}
    assert refused.value.detail == "未登记的工单事件类型「not_registered」"
    assert event_count(db, ticket.id) == before


def test_unassigning_with_an_unregistered_type_changes_nothing(db: Session, clock: FrozenClock) -> None:
    technician = factories.user(db, clock=clock, role=Role.TECHNICIAN)
    ticket = factories.ticket(db, clock=clock, assignee_username=technician.user.username)
    before = (event_count(db, ticket.id), ticket.assignee_id, ticket.version)
    with pytest.raises(UnknownEventTypeError):
        tickets_assignment.unassign_ticket(
            db, clock=clock, actor=SYSTEM_ACTOR, ticket_id=ticket.id, note="x", event_type="not_registered"
        )
    db.expire_all()
    after = tickets_service.get_ticket(db, ticket.id)
    assert (event_count(db, ticket.id), after.assignee_id, after.version) == before
    assert before[1] == technician.user.id


def test_registering_again_for_the_same_owner_is_a_no_op() -> None:
    ticket_events.register_event_types("tests.again", ["again_one"])
    ticket_events.register_event_types("tests.again", ["again_one", "again_two"])
    ticket_events.register_event_types("dispatch", DispatchEventType)
    assert [ticket_events.owner_of(t) for t in ("again_one", "again_two", "dispatch")] == [
        "tests.again",
        "tests.again",
        "dispatch",
    ]


def test_a_type_claimed_by_two_owners_raises_and_registers_nothing_of_the_call() -> None:
    ticket_events.register_event_types("tests.first", ["claimed_twice"])
    with pytest.raises(ticket_events.EventTypeClaimedError) as claimed:
        ticket_events.register_event_types("tests.second", ["unclaimed_yet", "claimed_twice"])
    assert str(claimed.value) == "timeline event type 'claimed_twice' belongs to 'tests.first', not 'tests.second'"
    assert ticket_events.owner_of("claimed_twice") == "tests.first"
    assert ticket_events.owner_of("unclaimed_yet") is None
    # Nor may a package take one of tickets' own types.
    with pytest.raises(ticket_events.EventTypeClaimedError):
        ticket_events.register_event_types("tests.second", [EventType.CONTACT])
    assert ticket_events.owner_of("contact") == "tickets"


@pytest.mark.parametrize("event_type", ["", "x" * 33])
def test_a_type_must_fit_the_timeline_column(event_type: str) -> None:
    with pytest.raises(ValueError, match="1–32 characters"):
        ticket_events.register_event_types("tests.sizes", [event_type])
    assert ticket_events.owner_of(event_type) is None
