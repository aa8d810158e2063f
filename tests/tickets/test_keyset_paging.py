"""Keyset paging of the ticket list (issue 12): ``after`` reads from the index at any depth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import FrozenClock
from aftersales.core.pagination import MAX_OFFSET, decode_after, encode_after
from aftersales.tickets import listing as tickets_listing
from aftersales.tickets.errors import InvalidTicketError
from tests import factories

ADMIN = Actor(user_id=None, username="admin", role=Role.ADMIN)


def test_a_cursor_names_a_time_and_an_id_and_nothing_else_passes() -> None:
    at = datetime(2026, 11, 22, 2, 0, 0, 123456, tzinfo=UTC)
    assert decode_after(encode_after(at, 42)) == (at, 42)
    east = datetime(2026, 11, 22, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    assert decode_after(encode_after(east, 7)) == (east, 7)
    naive = encode_after(datetime(2026, 11, 22, 2, 0), 42)
    for bad in ("", "!!!", "bm90aGluZw", naive, encode_after(at, 0), "MjAyNi0xMS0yMlQwMjowMDowMCswMDowMHx4"):
        assert decode_after(bad) is None, bad


def _walk(db: Session, *, limit: int, q: str | None = None) -> list[list[int]]:
    pages, after = [], None
    for _ in range(50):
        page = tickets_listing.list_tickets(db, actor=ADMIN, q=q, limit=limit, after=after)
        pages.append([ticket.id for ticket in page.items])
        after = page.next_after
        if after is None:
            return pages
    raise AssertionError("the walk did not end")


def test_walking_by_cursor_gives_the_offset_order_with_ties_broken_by_id(db: Session, clock: FrozenClock) -> None:
    made = []
    for n in range(7):
        if n in (3, 5):
            clock.advance(timedelta(minutes=1))  # the others share their report time with a neighbour
        made.append(factories.ticket(db, clock=clock, phone=f"1390000{n:04d}").id)
    db.flush()
    by_offset = [ticket.id for ticket in tickets_listing.list_tickets(db, actor=ADMIN, limit=50).items]
    assert by_offset == sorted(made, reverse=True)  # same-time tickets newest id first
    assert _walk(db, limit=3) == [by_offset[0:3], by_offset[3:6], by_offset[6:7]]
    assert _walk(db, limit=7) == [by_offset, []]  # a full last page: one more, empty, request ends the walk
    # A search that unions several branches pages the same way (each branch keeps to the cursor).
    assert _walk(db, q="1390000", limit=2) == [by_offset[0:2], by_offset[2:4], by_offset[4:6], by_offset[6:7]]


def test_a_bad_cursor_or_a_cursor_with_an_offset_is_refused(db: Session, clock: FrozenClock) -> None:
    factories.ticket(db, clock=clock)
    db.flush()
    with pytest.raises(InvalidTicketError) as bad:
        tickets_listing.list_tickets(db, actor=ADMIN, after="not-a-cursor")
    assert (str(bad.value), bad.value.fields) == ("after 不是有效的翻页位置", {"after": "not-a-cursor"})
    cursor = encode_after(clock.now(), 99)
    with pytest.raises(InvalidTicketError) as both:
        tickets_listing.list_tickets(db, actor=ADMIN, after=cursor, offset=10)
    assert both.value.fields == {"after": cursor, "offset": 10}


def test_the_api_hands_out_the_next_cursor_and_refuses_a_bad_one(
    client: TestClient, auth: dict[str, str], db: Session, clock: FrozenClock
) -> None:
    made = [factories.ticket(db, clock=clock, phone=f"1370000{n:04d}").id for n in range(3)]
    db.commit()
    first = client.get("/api/v1/tickets", params={"limit": 2}, headers=auth).json()
    assert [item["id"] for item in first["items"]] == [made[2], made[1]]
    second = client.get("/api/v1/tickets", params={"limit": 2, "after": first["next_after"]}, headers=auth).json()
    assert ([item["id"] for item in second["items"]], second["next_after"], second["total"]) == ([made[0]], None, 3)
    refused = client.get("/api/v1/tickets", params={"after": "zz"}, headers=auth)
    assert (refused.status_code, refused.json()["code"], refused.json()["fields"]) == (
        422,
        "ticket.invalid",
        {"after": "zz"},
    )


def test_an_offset_deeper_than_the_bound_is_refused_and_points_to_the_cursor(
    client: TestClient, auth: dict[str, str], db: Session, clock: FrozenClock
) -> None:
    made = factories.ticket(db, clock=clock).id
    db.commit()
    deepest = client.get("/api/v1/tickets", params={"offset": MAX_OFFSET}, headers=auth)
    assert (deepest.status_code, deepest.json()["items"], deepest.json()["total"]) == (200, [], 1)
    refused = client.get("/api/v1/tickets", params={"offset": MAX_OFFSET + 1}, headers=auth)
    assert (refused.status_code, refused.json()["code"], refused.json()["fields"]) == (
        422,
        "ticket.invalid",
        {"offset": MAX_OFFSET + 1},
    )
    assert refused.json()["detail"] == "offset 最大为 100000；更深的翻页请用 after（上一页返回的 next_after）"
    assert [item["id"] for item in client.get("/api/v1/tickets", headers=auth).json()["items"]] == [made]
