"""The list search (``tickets.search``): which branch each form of term takes, the exact tickets each
branch finds through the listing, and that the name and serial branches are answered from their
indexes (a whole value or a prefix, never a leading wildcard)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import FrozenClock
from aftersales.customers.models import Customer, InstalledProduct
from aftersales.tickets import listing as tickets_listing
from aftersales.tickets import search
from aftersales.tickets.enums import EventType, TicketStatus
from aftersales.tickets.models import Ticket
from aftersales.tickets.search import Branch
from aftersales.web.templating import format_local
from tests import factories
from tests.conftest import UserFactory, console_login

ADMIN = Actor(user_id=None, username="admin", role=Role.ADMIN)


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("SH20261122-000123", (Branch.NUMBER,)),
        (" sh20261122-000123 ", (Branch.NUMBER,)),  # trimmed, any case
        ("13800138000", (Branch.PHONE, Branch.NUMBER_DIGITS)),
        ("138 0013 8000", (Branch.PHONE, Branch.NUMBER_DIGITS)),
        ("+86 138-0013-8000", (Branch.PHONE, Branch.NUMBER_DIGITS)),
        ("8000", (Branch.PHONE, Branch.NUMBER_DIGITS)),
        ("20261105", (Branch.PHONE, Branch.NUMBER_DIGITS, Branch.SERIAL)),  # eight digits: a serial too
        ("2026110", (Branch.PHONE, Branch.NUMBER_DIGITS)),
        ("138 0013 8000", (Branch.PHONE, Branch.NUMBER_DIGITS)),  # spaced: a phone as typed, not a serial
        ("800", (Branch.TEXT,)),  # three digits: too short for a phone fragment
        ("张三", (Branch.NAME, Branch.TEXT)),
        ("王", (Branch.NAME, Branch.TEXT)),  # one character: the whole name only (see MIN_NAME_PREFIX)
        ("欧阳·娜娜", (Branch.NAME, Branch.TEXT)),
        ("Li Na", (Branch.NAME, Branch.TEXT)),
        ("漏水", (Branch.NAME, Branch.TEXT)),  # a word looks like a name too: both are looked up
        ("YLS7KQ12345678", (Branch.SERIAL, Branch.TEXT)),
        ("yls7kq1234", (Branch.SERIAL, Branch.TEXT)),
        ("SN-0001", (Branch.SERIAL, Branch.TEXT)),
        ("YL-S7", (Branch.SERIAL, Branch.TEXT)),  # a model is a serial's start (serials begin with the model)
        ("E12", (Branch.TEXT,)),  # letters and digits, but under MIN_SERIAL_PREFIX characters
        ("E_12", (Branch.TEXT,)),  # "_" is not in a serial number
        ("SNABCD", (Branch.NAME, Branch.TEXT)),  # no digit: letters only read as a name
        ("电量100%", (Branch.TEXT,)),
        ("指纹锁 打不开", (Branch.TEXT,)),  # two words: not a name (a space only inside a Latin name)
        ("张三 13800138000", (Branch.TEXT,)),
        ("   ", ()),
    ],
)
def test_each_form_of_term_takes_its_branches(term: str, expected: tuple[Branch, ...]) -> None:
    assert search.branches(term) == expected


def _alternatives(term: str) -> list[tuple[bool, bool, bool]]:
    """(joins the customer, customers looked up first, products looked up first) per alternative."""
    chosen = search.selection(actor=ADMIN, q=term)
    return [(a.joins_customer, a.customers is not None, a.products is not None) for a in chosen.alternatives]


def test_each_branch_becomes_one_alternative_of_the_union() -> None:
    assert (search.selection(actor=ADMIN, q="SH20261122-000123").alternatives, _alternatives("8000")) == (
        [],
        [(True, True, False), (False, False, False)],
    )
    assert _alternatives("张三") == [(True, True, False), (False, False, False)]
    assert _alternatives("YLS7KQ1234") == [(False, False, True), (False, False, False)]
    assert _alternatives("漏水了") == [(True, True, False), (False, False, False)]


def _sql(condition: Any, dialect: Any) -> str:
    return str(select(Customer.id).where(condition).compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def test_a_prefix_is_a_like_on_postgresql_and_a_range_on_sqlite() -> None:
    condition = search.starts_with(Customer.name, "王_%")
    assert _sql(condition, postgresql.dialect()).endswith("WHERE customers.name LIKE '王/_/%%%%' ESCAPE '/'")
    assert _sql(condition, sqlite.dialect()).endswith("WHERE customers.name >= '王_%' AND customers.name < '王_&'")


@pytest.mark.parametrize(
    ("prefix", "after"),
    [("王芳", "王芴"), ("ab", "ac"), ("a\U0010ffff", "b"), ("\U0010ffff", None), ("\ud7ff", "\ue000")],
)
def test_the_end_of_a_prefix_range(prefix: str, after: str | None) -> None:
    assert search._after_prefix(prefix) == after


def _found(db: Session, term: str, **filters: Any) -> tuple[int, list[int]]:
    page = tickets_listing.list_tickets(db, actor=filters.pop("actor", ADMIN), q=term, **filters)
    return page.total, [ticket.id for ticket in page.items]


def test_a_name_matches_whole_or_by_its_start(db: Session, clock: FrozenClock) -> None:
    wang_fang = factories.ticket(db, clock=clock, customer_name="王芳", phone="13900000101", serial_number="A1")
    wang_fang_hua = factories.ticket(db, clock=clock, customer_name="王芳华", phone="13900000102", serial_number="A2")
    wang = factories.ticket(db, clock=clock, customer_name="王", phone="13900000103", serial_number="A3")
    li_wang_fang = factories.ticket(db, clock=clock, customer_name="李王芳", phone="13900000104", serial_number="A4")
    again = factories.ticket(db, clock=clock, customer_name="王芳", phone="13900000101", serial_number="A1")
    db.flush()

    assert _found(db, "王芳") == (3, [again.id, wang_fang_hua.id, wang_fang.id])  # not 李王芳: no fragments
    assert _found(db, "王芳华") == (1, [wang_fang_hua.id])
    assert _found(db, "王") == (1, [wang.id])  # one character: exactly that name
    assert _found(db, "李王") == (1, [li_wang_fang.id])
    assert _found(db, "赵") == (0, [])
    assert _found(db, "王芳", limit=1, offset=1) == (3, [wang_fang_hua.id])
    contacted = factories.walk(db, clock=clock, ticket_id=wang_fang.id, events=[EventType.CONTACT])
    assert _found(db, "王芳", status=TicketStatus.IN_PROGRESS) == (1, [contacted.id])


def test_a_latin_name_is_found_however_it_is_typed_and_a_prefix_is_taken_literally(
    db: Session, clock: FrozenClock
) -> None:
    li_na = factories.ticket(db, clock=clock, customer_name="Li Na", phone="13900000111", description="门锁报警")
    percent = factories.customer(db, clock=clock, name="Li%Na", phone="13900000112", product_model=None)
    underscore = factories.customer(db, clock=clock, name="Li_Na", phone="13900000113", product_model=None)
    db.flush()
    assert [_found(db, term) for term in ("Li N", "li na", "LI NA", "li")] == [(1, [li_na.id])] * 4
    assert _found(db, "lin") == (0, [])

    def named(prefix: str) -> list[int]:
        return list(
            db.scalars(select(Customer.id).where(search.starts_with(Customer.name, prefix)).order_by(Customer.id))
        )

    assert (named("Li%"), named("Li_"), named("Li")) == (
        [percent.id],
        [underscore.id],
        [li_na.customer_id, percent.id, underscore.id],
    )


def test_a_serial_of_digits_only_is_found_as_well_as_phones(db: Session, clock: FrozenClock) -> None:
    by_serial = factories.ticket(db, clock=clock, phone="13900000141", serial_number="2026110512345")
    by_phone = factories.ticket(db, clock=clock, phone="13920261105", serial_number="YL-0001")
    factories.ticket(db, clock=clock, phone="13900000143", serial_number="1202611050000")  # not its start
    db.flush()
    assert _found(db, "20261105") == (2, [by_phone.id, by_serial.id])
    assert _found(db, "2026110512345") == (1, [by_serial.id])


def test_a_name_and_the_text_are_united_each_ticket_once(db: Session, clock: FrozenClock) -> None:
    by_name = factories.ticket(db, clock=clock, customer_name="漏水", phone="13900000121", description="门锁打不开")
    by_text = factories.ticket(db, clock=clock, customer_name="赵六", phone="13900000122", description="热水器漏水")
    both = factories.ticket(db, clock=clock, customer_name="漏水王", phone="13900000123", description="漏水严重")
    factories.ticket(db, clock=clock, customer_name="钱七", phone="13900000124", description="不制热")
    db.flush()
    assert _found(db, "漏水") == (3, [both.id, by_text.id, by_name.id])


def test_a_serial_number_matches_whole_or_by_its_start_in_any_case(db: Session, clock: FrozenClock) -> None:
    first = factories.ticket(db, clock=clock, phone="13900000131", serial_number="YLS7KQ12345678")
    second = factories.ticket(db, clock=clock, phone="13900000132", serial_number="YLS7KQ12349999")
    other = factories.ticket(db, clock=clock, phone="13900000133", serial_number="YLS7ZZ00000001")
    factories.ticket(db, clock=clock, phone="13900000134", serial_number=None)  # no serial: never matched
    again = factories.ticket(db, clock=clock, phone="13900000131", serial_number="YLS7KQ12345678")
    db.flush()

    assert _found(db, "YLS7KQ12345678") == (2, [again.id, first.id])
    assert _found(db, "YLS7KQ1234") == (3, [again.id, second.id, first.id])
    assert _found(db, "yls7kq1234") == (3, [again.id, second.id, first.id])
    assert _found(db, "KQ12345678") == (0, [])  # the middle of a serial is not searched
    assert _found(db, "YLS7ZZ0") == (1, [other.id])
    assert first.installed_product_id == again.installed_product_id


def test_a_serial_prefix_matching_too_many_products_falls_back_to_a_subquery(
    db: Session, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = [factories.ticket(db, clock=clock, phone=f"1390000014{n}", serial_number=f"YLS7AB{n:08d}") for n in range(3)]
    db.flush()
    monkeypatch.setattr(search, "PRODUCT_LOOKUP_LIMIT", 2)
    monkeypatch.setattr(search, "CUSTOMER_LOOKUP_LIMIT", 1)
    assert _found(db, "YLS7AB") == (3, [ticket.id for ticket in reversed(made)])
    assert _found(db, "张三") == (3, [ticket.id for ticket in reversed(made)])  # joined to the customers


def test_phone_number_and_text_searches_keep_working(db: Session, clock: FrozenClock) -> None:
    phone = factories.ticket(db, clock=clock, phone="13712345678", description="门锁没电")
    text_match = factories.ticket(db, clock=clock, phone="13912340000", description="指纹识别很慢")
    db.flush()
    assert _found(db, "12345678") == (1, [phone.id])
    assert _found(db, phone.number) == (1, [phone.id])
    assert _found(db, "识别很") == (1, [text_match.id])
    assert _found(db, "指纹识别") == (1, [text_match.id])


def test_a_short_fragment_is_looked_for_only_in_the_newest_tickets(
    db: Session, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = factories.ticket(db, clock=clock, customer_name="赵一", phone="13900000171", description="有焦味的插座")
    clock.advance(timedelta(hours=1))
    edge = factories.ticket(db, clock=clock, customer_name="赵二", phone="13900000172", description="门锁没电")
    clock.advance(timedelta(hours=1))
    new = factories.ticket(db, clock=clock, customer_name="赵三", phone="13900000173", description="焦味很重")
    named = factories.customer(db, clock=clock, name="焦味", phone="13900000174", product_model=None)
    db.flush()
    monkeypatch.setattr(search, "SHORT_FRAGMENT_WINDOW", 2)

    page = tickets_listing.list_tickets(db, actor=ADMIN, q="焦味")
    assert ([t.id for t in page.items], page.searched_since) == ([new.id], edge.reported_at)
    # Three characters reach the trigram indexes: every ticket, and no window to mention.
    page = tickets_listing.list_tickets(db, actor=ADMIN, q="有焦味")
    assert ([t.id for t in page.items], page.searched_since) == ([old.id], None)
    # The name branch of the same short term still looks at every customer.
    by_name = factories.ticket(db, clock=clock, customer_name="焦味", phone=named.phone, description="不制热")
    monkeypatch.setattr(search, "SHORT_FRAGMENT_WINDOW", 1)
    assert _found(db, "焦味") == (1, [by_name.id])
    # Fewer tickets than the window: all of them, no window.
    monkeypatch.setattr(search, "SHORT_FRAGMENT_WINDOW", 100)
    page = tickets_listing.list_tickets(db, actor=ADMIN, q="焦味")
    assert ([t.id for t in page.items], page.searched_since) == ([by_name.id, new.id, old.id], None)
    assert _found(db, "e") == (0, [])  # one Latin letter: lower-cased on both sides, nothing here has it


def test_the_api_and_the_console_say_when_a_search_looked_only_at_recent_tickets(
    client: TestClient,
    auth: dict[str, str],
    db: Session,
    clock: FrozenClock,
    make_user: UserFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    factories.ticket(db, clock=clock, customer_name="钱一", phone="13900000181", description="漏电跳闸")
    clock.advance(timedelta(minutes=30))
    newest = factories.ticket(db, clock=clock, customer_name="钱二", phone="13900000182", description="漏电")
    db.commit()
    monkeypatch.setattr(search, "SHORT_FRAGMENT_WINDOW", 1)
    reply = client.get("/api/v1/tickets", params={"q": "漏电"}, headers=auth)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert ([item["id"] for item in body["items"]], body["searched_since"]) == (
        [newest.id],
        newest.reported_at.isoformat().replace("+00:00", "Z"),
    )
    reply = client.get("/api/v1/tickets", params={"q": "漏电跳"}, headers=auth)
    assert reply.json()["searched_since"] is None

    make_user(Role.AGENT, username="agent_window")
    console_login(client, db, "agent_window")
    page = client.get("/console/tickets", params={"q": "漏电"})
    since = format_local(newest.reported_at)
    assert f"描述里的一两个字只在 {since} 以来登记的工单中查找" in page.text
    assert 'id="search-window"' not in client.get("/console/tickets", params={"q": "漏电跳"}).text


def test_a_technician_finds_by_name_only_their_own_tickets(db: Session, clock: FrozenClock, make_user: Any) -> None:
    tech, _ = make_user(Role.TECHNICIAN, username="tech_search")
    mine = factories.ticket(
        db, clock=clock, customer_name="孙悟空", phone="13900000151", assignee_username="tech_search"
    )
    factories.ticket(db, clock=clock, customer_name="孙悟空", phone="13900000151")
    db.flush()
    assert _found(db, "孙悟", actor=tech) == (1, [mine.id])


def test_the_api_searches_by_name_and_serial(
    client: TestClient, auth: dict[str, str], db: Session, clock: FrozenClock
) -> None:
    named = factories.ticket(
        db, clock=clock, customer_name="周杰", phone="13900000161", serial_number="XQB80AB00000001"
    )
    factories.ticket(db, clock=clock, customer_name="吴用", phone="13900000162", serial_number="XQB80CD00000002")
    db.commit()

    def ids(term: str) -> list[int]:
        reply = client.get("/api/v1/tickets", params={"q": term}, headers=auth)
        assert reply.status_code == 200, reply.text
        return [item["id"] for item in reply.json()["items"]]

    assert (ids("周杰"), ids("xqb80ab"), ids("周杰伦")) == ([named.id], [named.id], [])


# --- the name and serial branches are answered from their indexes ---------------------------------------


def _plan(db: Session, statement: Any) -> str:
    """The database's plan for ``statement`` (PostgreSQL with sequential scans discouraged: the test
    tables are tiny, and the question is whether the index can answer, not whether it pays here)."""
    dialect = db.get_bind().dialect
    compiled = statement.compile(dialect=dialect)
    connection = db.connection()
    if dialect.name == "sqlite":
        arguments = tuple(compiled.params[name] for name in compiled.positiontup or [])
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", arguments).all()
        return " | ".join(str(row[-1]) for row in rows)
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    try:
        rows = connection.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params).all()
    finally:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = on")
    return " | ".join(str(row[0]) for row in rows)


@pytest.mark.parametrize(
    ("statement", "index"),
    [
        (select(Customer.id).where(search.starts_with(Customer.name, "王芳")), "ix_customers_name"),
        (select(Customer.id).where(Customer.name == "王"), "ix_customers_name"),
        (
            select(InstalledProduct.id).where(search.starts_with(InstalledProduct.serial_number, "YLS7KQ")),
            "ix_installed_products_serial_number",
        ),
        (
            select(Ticket.id, Ticket.reported_at).where(Ticket.installed_product_id == 1),
            "ix_tickets_product_reported",
        ),
    ],
    ids=["name prefix", "whole name", "serial prefix", "a product's tickets"],
)
def test_the_name_and_serial_branches_use_their_indexes(db: Session, statement: Any, index: str) -> None:
    plan = _plan(db, statement)
    assert index in plan, plan
    assert "SCAN customers" not in plan and "SCAN installed_products" not in plan and "Seq Scan" not in plan


def test_a_short_fragment_walks_the_newest_tickets_not_the_trigram_index(db: Session) -> None:
    [alternative] = [a for a in search.selection(actor=ADMIN, q="焦味").alternatives if a.recent_only]
    window = tuple_(Ticket.reported_at, Ticket.id) >= tuple_(datetime(2026, 11, 1, tzinfo=UTC), 1)
    statement = (
        select(Ticket.id, Ticket.reported_at)
        .where(*alternative.conditions, window)
        .order_by(Ticket.reported_at.desc(), Ticket.id.desc())
        .limit(50)
    )
    plan = _plan(db, statement)
    assert "ix_tickets_reported_id" in plan and "trgm" not in plan and "Seq Scan" not in plan, plan
