"""The ticket list's bounded count and its search branches (issue 12: no count of everything per request)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import FrozenClock
from aftersales.core.pagination import COUNT_LIMIT, Page
from aftersales.tickets import listing as tickets_listing
from aftersales.tickets import queries, schemas
from aftersales.tickets.enums import EventType, TicketStatus
from tests import factories

ADMIN = Actor(user_id=None, username="admin", role=Role.ADMIN)


def test_a_page_is_exact_up_to_the_count_limit() -> None:
    assert (Page([], COUNT_LIMIT, 50, 0).is_total_exact, Page([], COUNT_LIMIT + 1, 50, 0).is_total_exact) == (
        True,
        False,
    )
    assert COUNT_LIMIT == 1_000


def test_the_count_stops_one_past_the_limit_and_the_api_says_so(
    client: TestClient, auth: dict[str, str], db: Session, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = [factories.ticket(db, clock=clock, phone=f"1380000{n:04d}") for n in range(4)]
    factories.walk(db, clock=clock, ticket_id=made[0].id, events=[EventType.CONTACT])
    db.commit()
    monkeypatch.setattr(tickets_listing, "COUNT_LIMIT", 2)
    monkeypatch.setattr(schemas, "COUNT_LIMIT", 2)

    page = client.get("/api/v1/tickets", headers=auth).json()
    assert (page["total"], page["total_is_exact"], [item["id"] for item in page["items"]]) == (
        3,
        False,
        [ticket.id for ticket in reversed(made)],  # the page itself is whole: only the count stops
    )
    filtered = client.get("/api/v1/tickets", params={"status": "registered", "limit": 1}, headers=auth).json()
    assert (filtered["total"], filtered["total_is_exact"], len(filtered["items"])) == (3, False, 1)
    one = client.get("/api/v1/tickets", params={"status": "in_progress"}, headers=auth).json()
    assert (one["total"], one["total_is_exact"], [item["id"] for item in one["items"]]) == (1, True, [made[0].id])


def test_phone_digits_match_the_phone_or_the_number_each_ticket_once(db: Session, clock: FrozenClock) -> None:
    first = factories.ticket(db, clock=clock, phone="13900000001")  # its number ends in 000001 too
    assert first.number.endswith("-000001")
    second = factories.ticket(db, clock=clock, phone="13712345678")
    third = factories.ticket(db, clock=clock, phone="13600000000")  # neither the phone nor the number
    by_number_digits = factories.ticket(db, clock=clock, phone="15800000000", address=None)
    db.flush()

    def found(term: str) -> tuple[int, list[int]]:
        page = tickets_listing.list_tickets(db, actor=ADMIN, q=term)
        return page.total, [ticket.id for ticket in page.items]

    assert found("000001") == (1, [first.id])  # phone and number both match: listed once
    assert found("12345678") == (1, [second.id])
    assert found(by_number_digits.number[-6:]) == (1, [by_number_digits.id])
    assert found("0000") == (4, [by_number_digits.id, third.id, second.id, first.id])
    assert found("0000")[0] == len({first.id, second.id, third.id, by_number_digits.id})
    both = tickets_listing.list_tickets(db, actor=ADMIN, q="0000", status=TicketStatus.REGISTERED, limit=1, offset=1)
    assert (both.total, [ticket.id for ticket in both.items]) == (4, [third.id])


def test_search_wildcards_are_taken_literally(db: Session, clock: FrozenClock) -> None:
    percent = factories.ticket(db, clock=clock, description="电量显示100%后立刻掉到0", phone="13900000011")
    underscore = factories.ticket(db, clock=clock, description="App 显示错误码 E_12", phone="13900000012")
    factories.ticket(db, clock=clock, description="电量显示1000后立刻掉到E812", phone="13900000013")
    db.flush()

    def found(term: str) -> list[int]:
        return [ticket.id for ticket in tickets_listing.list_tickets(db, actor=ADMIN, q=term).items]

    assert (found("100%后"), found("E_1"), found("e_12")) == ([percent.id], [underscore.id], [underscore.id])


def test_the_board_offers_each_ticket_the_people_of_its_city() -> None:
    shenzhen = queries.Assignable("tech01", "刘师傅", Role.TECHNICIAN, 5, "深圳")
    guangzhou = queries.Assignable("tech04", "陈师傅", Role.TECHNICIAN, 6, "广州市")
    nationwide = queries.Assignable("provider01", "全国服务商", Role.PROVIDER, 7, None)
    people = queries.People([shenzhen, guangzhou, nationwide])

    assert people.near("深圳市") == [shenzhen, nationwide]
    assert people.near("广州市", current="tech01") == [guangzhou, nationwide, shenzhen]  # the current assignee
    assert people.near("杭州市") == [shenzhen, guangzhou, nationwide]  # no one of its own: everyone
    assert people.near(None) == [shenzhen, guangzhou, nationwide]
    assert list(people) == [shenzhen, guangzhou, nationwide]


def test_a_first_page_is_counted_and_read_in_one_query(db: Session, clock: FrozenClock) -> None:
    made = [factories.ticket(db, clock=clock, phone=f"1390055{n:04d}") for n in range(3)]
    db.flush()
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    connection = db.connection()
    event.listen(connection, "before_cursor_execute", record)
    try:
        page = tickets_listing.list_tickets(db, actor=ADMIN, q="9005500", limit=2, offset=1)
        deep = len(seen)
        later = tickets_listing.list_tickets(db, actor=ADMIN, q="9005500", limit=2, after=page.next_after)
    finally:
        event.remove(connection, "before_cursor_execute", record)
    assert (page.total, [t.id for t in page.items]) == (3, [made[1].id, made[0].id])
    # The phone's customers, then one UNION of the branches giving count and page, then the page's tickets
    # (with their SLA targets).
    assert deep == 4, seen
    assert "UNION" in seen[1] and "count(" not in seen[1].lower() and "FROM sla_targets" in seen[3]
    # Paging by `after` counts all matches apart from the page it reads (nothing left: no tickets loaded).
    assert (later.total, later.items) == (3, [])
    assert len(seen) - deep == 3 and "count(" in seen[deep + 1].lower()
