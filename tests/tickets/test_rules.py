"""The ticket lifecycle transition table, cell by cell: every status × every event a caller may request.

The expected table is written out here by hand (not derived from ``rules.TRANSITIONS``), so adding,
removing or redirecting a move fails a test. A forbidden move is documented as ``next_status`` → None;
the service turns that into ``ticket.invalid_transition`` (tests/tickets/test_lifecycle.py).
"""

from __future__ import annotations

from collections import deque
from datetime import date

import pytest

from aftersales.sla.enums import TargetKind
from aftersales.tickets import rules
from aftersales.tickets.enums import EventType, TicketStatus

E, S = EventType, TicketStatus

# The events a caller may request, in the order the enum documents them.
REQUESTABLE = (
    E.CONTACT,
    E.PROGRESS,
    E.CHECK_IN,
    E.RESULT,
    E.RETURN_VISIT,
    E.CLOSE,
    E.REOPEN,
    E.HOLD,
    E.RESUME,
    E.CANCEL,
)
# Recorded by the system: never a lifecycle move, from any status (other packages' types are not
# EventType members at all; see tests/tickets/test_events.py).
SYSTEM_EVENTS = tuple(event for event in EventType if event not in REQUESTABLE)

EXPECTED: dict[tuple[EventType, TicketStatus], TicketStatus] = {
    (E.CONTACT, S.REGISTERED): S.IN_PROGRESS,
    (E.PROGRESS, S.IN_PROGRESS): S.IN_PROGRESS,
    (E.CHECK_IN, S.IN_PROGRESS): S.IN_PROGRESS,
    (E.RESULT, S.IN_PROGRESS): S.RESOLVED,
    (E.RETURN_VISIT, S.RESOLVED): S.VISITED,
    (E.CLOSE, S.VISITED): S.CLOSED,
    (E.HOLD, S.IN_PROGRESS): S.ON_HOLD,
    (E.RESUME, S.ON_HOLD): S.IN_PROGRESS,
    (E.REOPEN, S.RESOLVED): S.IN_PROGRESS,
    (E.REOPEN, S.VISITED): S.IN_PROGRESS,
    (E.REOPEN, S.CLOSED): S.IN_PROGRESS,
    (E.CANCEL, S.REGISTERED): S.CANCELLED,
    (E.CANCEL, S.IN_PROGRESS): S.CANCELLED,
    (E.CANCEL, S.ON_HOLD): S.CANCELLED,
}

# What each status offers, in the table's order (the console lists the buttons in this order).
ALLOWED: dict[TicketStatus, list[EventType]] = {
    S.REGISTERED: [E.CONTACT, E.CANCEL],
    S.IN_PROGRESS: [E.PROGRESS, E.CHECK_IN, E.RESULT, E.HOLD, E.CANCEL],
    S.ON_HOLD: [E.RESUME, E.CANCEL],
    S.RESOLVED: [E.RETURN_VISIT, E.REOPEN],
    S.VISITED: [E.CLOSE, E.REOPEN],
    S.CLOSED: [E.REOPEN],
    S.CANCELLED: [],
}

CELLS = [(event, status) for status in TicketStatus for event in REQUESTABLE]


def test_the_grid_covers_every_status_and_every_requestable_event() -> None:
    assert len(TicketStatus) == 7
    assert len(REQUESTABLE) == 10
    assert len(CELLS) == 70
    assert len(SYSTEM_EVENTS) == len(EventType) - 10 == 6


@pytest.mark.parametrize(("event", "status"), CELLS, ids=[f"{s.value}-{e.value}" for e, s in CELLS])
def test_next_status_cell(event: EventType, status: TicketStatus) -> None:
    assert rules.next_status(event, status) == EXPECTED.get((event, status))


def test_exactly_fourteen_moves_are_allowed_and_fifty_six_forbidden() -> None:
    allowed = [(event, status) for event, status in CELLS if rules.next_status(event, status) is not None]
    forbidden = [(event, status) for event, status in CELLS if rules.next_status(event, status) is None]
    assert sorted(allowed) == sorted(EXPECTED)
    assert (len(allowed), len(forbidden)) == (14, 56)


def test_the_table_has_no_entry_beyond_the_expected_ones() -> None:
    assert rules.TRANSITIONS == EXPECTED
    assert frozenset(REQUESTABLE) == rules.LIFECYCLE_EVENTS


@pytest.mark.parametrize("status", list(TicketStatus))
def test_allowed_events_in_table_order(status: TicketStatus) -> None:
    assert rules.allowed_events(status) == ALLOWED[status]


@pytest.mark.parametrize("status", list(TicketStatus))
def test_allowed_events_agree_with_next_status(status: TicketStatus) -> None:
    offered = rules.allowed_events(status)
    assert [event for event in REQUESTABLE if rules.next_status(event, status) is not None] == sorted(
        offered, key=REQUESTABLE.index
    )


@pytest.mark.parametrize("event", SYSTEM_EVENTS)
def test_system_events_are_never_lifecycle_moves(event: EventType) -> None:
    assert event not in rules.LIFECYCLE_EVENTS
    assert [rules.next_status(event, status) for status in TicketStatus] == [None] * 7


def test_cancelled_is_terminal_and_closed_can_only_be_reopened() -> None:
    assert rules.allowed_events(S.CANCELLED) == []
    assert [rules.next_status(event, S.CANCELLED) for event in REQUESTABLE] == [None] * 10
    assert rules.allowed_events(S.CLOSED) == [E.REOPEN]


def test_asking_does_not_change_the_table() -> None:
    before = dict(rules.TRANSITIONS)
    for event, status in CELLS:
        rules.next_status(event, status)
        rules.allowed_events(status)
    assert before == rules.TRANSITIONS


def test_every_status_is_reachable_from_registered() -> None:
    reached, queue = {S.REGISTERED}, deque([S.REGISTERED])
    while queue:
        status = queue.popleft()
        for event in rules.allowed_events(status):
            target = rules.next_status(event, status)
            assert target is not None
            if target not in reached:
                reached.add(target)
                queue.append(target)
    assert reached == set(TicketStatus)


def test_open_statuses() -> None:
    assert frozenset({S.REGISTERED, S.IN_PROGRESS, S.ON_HOLD}) == rules.OPEN_STATUSES
    # Every open status can still be cancelled; no closed one can.
    assert {status for status in TicketStatus if rules.next_status(E.CANCEL, status)} == rules.OPEN_STATUSES


def test_which_targets_an_event_meets() -> None:
    assert rules.MEETS == {
        E.CONTACT: (TargetKind.FIRST_RESPONSE,),
        E.CHECK_IN: (TargetKind.ONSITE,),
        E.RESULT: (TargetKind.ONSITE, TargetKind.RESOLUTION),
    }
    # Each meeting event is itself an allowed lifecycle move.
    assert set(rules.MEETS) <= rules.LIFECYCLE_EVENTS


@pytest.mark.parametrize(
    ("prefix", "day", "sequence", "expected"),
    [
        ("SH", date(2026, 11, 22), 123, "SH20261122-000123"),
        ("SH", date(2026, 1, 2), 1, "SH20260102-000001"),
        ("BJ", date(2027, 12, 31), 999_999, "BJ20271231-999999"),
    ],
)
def test_format_number(prefix: str, day: date, sequence: int, expected: str) -> None:
    assert rules.format_number(prefix, day, sequence) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SH20261122-000123", True),
        (" sh20261122-000123 ", True),
        ("ABCD20261122-1", True),
        ("SH2026112-000123", False),
        ("ABCDE20261122-000123", False),
        ("SH20261122-0001234", False),
        ("20261122-000123", False),
        ("张三", False),
    ],
)
def test_looks_like_number(text: str, expected: bool) -> None:
    assert rules.looks_like_number(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13800138000", "13800138000"),
        ("+86 138-0013-8000", "8613800138000"),
        (" 8000 ", "8000"),
        ("800", None),
        ("1-2-3", None),
        ("门锁", None),
        ("SH20261122", None),
    ],
)
def test_phone_digits(text: str, expected: str | None) -> None:
    assert rules.phone_digits(text) == expected


# The loop's guards (issue 13 item 5): which results need a check-in first, and what counts as one.
@pytest.mark.parametrize(
    ("kind", "channel", "is_onsite_product", "expected"),
    [
        ("repair", "hotline", True, True),
        ("installation", "api", True, True),
        ("repair", "walk_in", True, False),  # brought to the counter
        ("repair", "hotline", False, False),  # a mail-in model
        ("installation", "web", False, False),
        ("consultation", "hotline", True, False),
        ("complaint", "hotline", True, False),
    ],
)
def test_needs_check_in(kind: str, channel: str, is_onsite_product: bool, expected: bool) -> None:
    assert rules.needs_check_in(kind, channel, is_onsite_product=is_onsite_product) is expected


@pytest.mark.parametrize(
    ("timeline", "expected"),
    [
        ([], False),
        (["contact", "progress"], False),
        (["contact", "check_in"], True),
        (["contact", "check_in", "result", "reopen"], False),  # the new result needs a new visit
        (["contact", "check_in", "result", "reopen", "progress", "check_in"], True),
        (["check_in", "check_out"], True),  # left again: the visit happened
    ],
)
def test_checked_in_since_reopen(timeline: list[str], expected: bool) -> None:
    assert rules.checked_in_since_reopen(timeline) is expected


@pytest.mark.parametrize(
    ("role", "event", "expected"),
    [
        ("agent", E.CONTACT, True),
        ("agent", E.RESULT, True),
        ("agent", E.CHECK_IN, False),  # only the job flow, with the position
        ("admin", E.CHECK_IN, False),
        ("technician", E.CHECK_IN, False),
        ("technician", E.PROGRESS, True),
        ("technician", E.RESULT, False),
        ("provider", E.RETURN_VISIT, False),
        ("manager", E.RETURN_VISIT, True),  # let through here; the service asks for the visit
    ],
)
def test_may_record_directly(role: str, event: EventType, expected: bool) -> None:
    from aftersales.accounts.enums import Role

    assert rules.may_record_directly(Role(role), event) is expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", True),
        ("manager", True),
        ("agent", False),
        ("dispatcher", False),
        ("inspector", False),
        ("technician", False),
        ("provider", False),
        ("customer", False),
    ],
)
def test_only_supervisors_may_override_the_check_in(role: str, expected: bool) -> None:
    from aftersales.accounts.enums import Role

    assert rules.may_override(Role(role)) is expected
