"""Prepared statements send exactly what SQLAlchemy would send, and read back what the ORM reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import bindparam, event, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts import tokens as accounts_tokens
from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import FrozenClock
from aftersales.core.db import dialect_of, table_of
from aftersales.core.prepared import Prepared
from aftersales.customers import service as customers_service
from aftersales.sla import service as sla_service
from aftersales.tickets import intake
from aftersales.tickets import service as tickets_service
from aftersales.tickets.models import Ticket, TicketEvent, TicketNumberSequence

AT = datetime(2026, 11, 22, 2, 0, 0, 123456, tzinfo=UTC)


def _cases(dialect: str) -> list[tuple[str, Prepared, dict[str, Any]]]:
    """Every hot-path statement with a parameter set that exercises its types."""
    customers = customers_service._statements(dialect)
    tickets = intake._statements(dialect)
    sla = sla_service._statements()
    product = {
        "customer_id": 1,
        "model": "YL-S7",
        "serial_number": "SN1",
        "purchase_date": date(2025, 3, 1),
        "warranty_end": date(2027, 3, 1),
        "created_at": AT,
    }
    return [
        ("token", accounts_tokens._TOKEN_LOOKUP, {"token_hash": "ab" * 32}),
        ("external_id", tickets_service._ID_BY_EXTERNAL_ID, {"external_id": "crm-1"}),
        (
            "customer_insert",
            customers["customer_insert"],
            {"name": "张三", "phone": "13800138000", "phone_kind": "mobile", "created_at": AT},
        ),
        ("customer_by_phone", customers["customer_by_phone"], {"phone": "13800138000"}),
        (
            "address_upsert",
            customers["address_upsert"],
            {
                "customer_id": 1,
                "raw": "广东省深圳市南山区科技园1号",
                "province": "广东省",
                "city": "深圳市",
                "district": "南山区",
                "adcode": "440305",
                "detail": "科技园1号",
                "longitude": 113.93,
                "latitude": 22.53,
                "created_at": AT,
            },
        ),
        ("product_upsert", customers["product_upsert"], product),
        ("product_insert", customers["product_insert"], product),
        ("product_without_serial", customers["product_without_serial"], {"customer_id": 1, "model": "YL-S7"}),
        ("warranty_months", customers["warranty_months"], {"code": "YL-S7"}),
        ("next_number", tickets["next_number"], {"day": "20261122", "last_value": 1}),
        (
            "ticket",
            tickets["ticket"],
            {key: None for key in intake._TICKET_KEYS}
            | {
                "number": "SH20261122-000001",
                "kind": "repair",
                "reported_at": AT,
                "triage": {"kind": "维修", "n": [1]},
                "version": 1,
            },
        ),
        (
            "event",
            tickets["event"],
            {key: None for key in intake._EVENT_KEYS}
            | {"ticket_id": 1, "type": "register", "at": AT, "data": {"渠道": "hotline"}},
        ),
        (
            "audit",
            accounts_service._audit_insert,
            {key: None for key in accounts_service._AUDIT_KEYS} | {"at": AT, "after": {"a": 1}},
        ),
        ("policy", sla["policy"], {"priority": "urgent"}),
        ("revision", sla["revision"], {"calendar_id": 1}),
        (
            "targets",
            sla["targets"],
            {key: None for key in sla_service._TARGET_KEYS} | {"ticket_id": 1, "warn_at": AT, "due_at": AT},
        ),
    ]


@pytest.fixture
def captured(db: Session) -> Iterator[list[tuple[str, Any]]]:
    """(SQL, parameters) of every statement SQLAlchemy sends on the test's connection."""
    connection = db.connection()
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        sent.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", capture)
    yield sent
    event.remove(connection, "before_cursor_execute", capture)


@pytest.mark.parametrize("name", [name for name, _, _ in _cases("sqlite")])
def test_sql_and_parameters_are_what_sqlalchemy_sends(db: Session, captured: list[tuple[str, Any]], name: str) -> None:
    dialect = dialect_of(db)
    _, prepared, params = next(case for case in _cases(dialect) if case[0] == name)
    # Let SQLAlchemy run the same statement the usual way; a constraint may reject the made-up row, which
    # does not matter: the statement and its parameters were captured before the driver saw them.
    try:
        with db.begin_nested():
            db.connection().execute(prepared.statement, params)
    except Exception:  # only what was sent is compared
        pass
    statement, parameters = next((s, p) for s, p in reversed(captured) if "SAVEPOINT" not in s)
    compiled = prepared.compiled(db.get_bind().dialect)
    assert compiled.sql == statement
    assert _comparable(compiled.parameters(params)) == _comparable(parameters)


def _comparable(parameters: Any) -> Any:
    """psycopg's Json/Jsonb wrappers have no equality: compare their class and the object they wrap."""

    def one(value: Any) -> Any:
        return (type(value).__name__, value.obj) if type(value).__name__ in {"Json", "Jsonb"} else value

    if isinstance(parameters, dict):
        return {key: one(value) for key, value in parameters.items()}
    return tuple(one(value) for value in parameters)


def test_rows_come_back_with_the_orm_types(db: Session, clock: FrozenClock) -> None:
    accounts_service.create_user(db, clock=clock, actor=SYSTEM_ACTOR, username="prep", role=Role.AGENT)
    customer, _ = customers_service.ensure_customer(db, clock=clock, name="李四", phone="13900139000")
    product = customers_service.ensure_product(
        db, clock=clock, customer_id=customer.id, model="YL-S7", serial_number="P-1", purchase_date=date(2025, 3, 1)
    )
    assert (product.purchase_date, type(product.warranty_end)) == (date(2025, 3, 1), date)
    statements = intake._statements(dialect_of(db))
    connection = db.connection()
    values = {key: None for key in intake._TICKET_KEYS} | {
        "number": "SH20261122-900001",
        "kind": "repair",
        "priority": "routine",
        "status": "registered",
        "channel": "hotline",
        "customer_id": customer.id,
        "description": "测试",
        "reported_at": AT,
        "created_at": AT,
        "updated_at": AT,
        "sla_state": "on_track",
        "reopen_count": 0,
        "triage": {"kind": "repair", "reasons": ["维修"]},
        "version": 1,
    }
    ticket_id = statements["ticket"].one(connection, values)[0]
    statements["event"].execute(
        connection,
        {key: None for key in intake._EVENT_KEYS}
        | {
            "ticket_id": ticket_id,
            "type": "register",
            "at": AT,
            "recorded_at": AT,
            "actor_name": "prep",
            "data": {"渠道": "电话"},
        },
    )
    ticket = db.get(Ticket, ticket_id)
    assert ticket is not None
    assert (ticket.reported_at, ticket.triage, ticket.version) == (AT, {"kind": "repair", "reasons": ["维修"]}, 1)
    stored = db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)).one()
    assert (stored.at, stored.data, stored.note) == (AT, {"渠道": "电话"}, None)
    # Read through Prepared: datetimes come back aware and in UTC, exactly as the ORM returns them.
    read = Prepared(
        select(table_of(TicketEvent).c.at, table_of(TicketEvent).c.data).where(
            table_of(TicketEvent).c.ticket_id == bindparam("id")
        )
    )
    assert read.one(connection, {"id": ticket_id}) == (AT, {"渠道": "电话"})
    assert read.all(connection, {"id": -1}) == []
    assert read.first(connection, {"id": -1}) is None


def test_a_missing_parameter_is_named_and_nothing_is_written(db: Session) -> None:
    statements = intake._statements(dialect_of(db))
    before = db.scalar(select(func.count()).select_from(TicketEvent))
    with pytest.raises(KeyError, match="'recorded_at'"):
        statements["event"].execute(
            db.connection(), {key: None for key in intake._EVENT_KEYS if key != "recorded_at"} | {"ticket_id": 1}
        )
    assert db.scalar(select(func.count()).select_from(TicketEvent)) == before


def test_expanding_parameters_are_refused(db: Session) -> None:
    tickets = table_of(Ticket)
    prepared = Prepared(select(tickets.c.id).where(tickets.c.id.in_(bindparam("ids", expanding=True))))
    with pytest.raises(ValueError, match="expanding parameter 'ids'"):
        prepared.all(db.connection(), {"ids": [1, 2]})


def test_driver_errors_come_back_as_sqlalchemy_errors_and_the_savepoint_undoes_them(db: Session) -> None:
    sequences = intake._statements(dialect_of(db))["next_number"]
    sequences.one(db.connection(), {"day": "20261122", "last_value": 1})
    counters = table_of(TicketNumberSequence)
    duplicate = Prepared(insert(counters), keys=["day", "last_value"])
    with pytest.raises(IntegrityError), db.begin_nested():
        duplicate.execute(db.connection(), {"day": "20261122", "last_value": 99})
    # The session goes on: the failed insert was rolled back with its savepoint, the counter is intact.
    assert db.scalar(select(counters.c.last_value).where(counters.c.day == "20261122")) == 1
