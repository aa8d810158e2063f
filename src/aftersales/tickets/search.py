"""Which tickets a user sees and a listing returns: visibility by role (per ticket, and the same rule as
SQL), the listing's filters and its search term (a ticket number, phone digits, a customer's name, a
product's serial number or free text)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, and_, false, func, literal, or_, select, tuple_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from aftersales.accounts import rules as account_rules
from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import Actor
from aftersales.customers.models import Customer, InstalledProduct
from aftersales.sla.enums import SlaState
from aftersales.tickets import rules
from aftersales.tickets.enums import Priority, TicketKind, TicketStatus
from aftersales.tickets.models import Ticket


def is_visible(session: Session, actor: Actor, ticket: Ticket) -> bool:
    """Staff see everything; technicians their own jobs; providers their organisation's; customers theirs."""
    if not account_rules.sees_only_own_tickets(actor.role):
        return True
    if actor.role == Role.TECHNICIAN:
        return ticket.assignee_id == actor.user_id
    if actor.role == Role.PROVIDER:
        return actor.organisation_id is not None and ticket.organisation_id == actor.organisation_id
    if actor.role == Role.CUSTOMER:
        return actor.phone is not None and ticket.customer.phone == actor.phone
    return False


@dataclass
class Alternative:
    """One way a search term may match: conditions on ``Ticket`` (and ``Customer`` when ``joins_customer``).

    ``customers``, when set, is a condition on ``Customer`` alone: the listing looks those customers up
    first and matches their tickets by id (``by_customers``), so the database never has to guess how
    many customers a phone fragment matches (it guessed 30 times too many and read the tickets table
    newest first, probing each ticket's customer: 20 s at 10 million tickets). ``products`` is the same
    for a condition on ``InstalledProduct`` (a serial number), matched by the tickets' product id."""

    conditions: list[Any]
    joins_customer: bool = False
    customers: Any | None = None
    products: Any | None = None
    # A text fragment too short for the trigram indexes (see ``SHORT_FRAGMENT_WINDOW``); once resolved,
    # ``searched_since`` is when the oldest ticket it was looked for in was reported.
    recent_only: bool = False
    searched_since: datetime | None = None


# A phone fragment or name prefix matching more customers than this is joined instead of looked up first;
# a serial prefix matching more products than this is matched by a subquery instead.
CUSTOMER_LOOKUP_LIMIT = 20_000
PRODUCT_LOOKUP_LIMIT = 20_000
# PostgreSQL's trigram indexes hold no entry for a fragment of one or two characters: a LIKE with such a
# fragment reads the whole index (14 s at 10 million tickets when nothing matches, docs/benchmarks.md §12).
# Such fragments are looked for only in the newest SHORT_FRAGMENT_WINDOW tickets, read from the
# (reported_at, id) index; the listing says from when (``Page.searched_since``).
MIN_INDEXED_FRAGMENT = 3
SHORT_FRAGMENT_WINDOW = 100_000


def by_customers(alternative: Alternative, customer_ids: list[int]) -> Alternative:
    """``alternative`` with its customer condition replaced by the customers it matched."""
    return Alternative([Ticket.customer_id.in_(customer_ids)] if customer_ids else [false()])


def by_products(alternative: Alternative, product_ids: list[int]) -> Alternative:
    """``alternative`` with its product condition replaced by the installed products it matched."""
    return Alternative([Ticket.installed_product_id.in_(product_ids)] if product_ids else [false()])


def resolve(session: Session, alternative: Alternative) -> Alternative:
    """Look the alternative's customers or products up first when there are not too many (see
    ``Alternative``); otherwise it stays as it is (a join, or a subquery on the products). A short text
    fragment gets the start of its window of newest tickets."""
    if alternative.recent_only:
        return _within_window(session, alternative)
    if alternative.customers is not None:
        limit = CUSTOMER_LOOKUP_LIMIT
        found = list(session.scalars(select(Customer.id).where(alternative.customers).limit(limit + 1)))
        return alternative if len(found) > limit else by_customers(alternative, found)
    if alternative.products is not None:
        limit = PRODUCT_LOOKUP_LIMIT
        found = list(session.scalars(select(InstalledProduct.id).where(alternative.products).limit(limit + 1)))
        return alternative if len(found) > limit else by_products(alternative, found)
    return alternative


def _within_window(session: Session, alternative: Alternative) -> Alternative:
    """``alternative`` limited to the newest ``SHORT_FRAGMENT_WINDOW`` tickets (all of them when there are
    fewer): the window's oldest ticket is found by walking the (reported_at, id) index."""
    oldest = session.execute(
        select(Ticket.reported_at, Ticket.id)
        .order_by(Ticket.reported_at.desc(), Ticket.id.desc())
        .offset(SHORT_FRAGMENT_WINDOW - 1)
        .limit(1)
    ).first()
    if oldest is None:
        return Alternative(alternative.conditions)
    at, ticket_id = oldest
    within = tuple_(Ticket.reported_at, Ticket.id) >= tuple_(at, ticket_id)
    return Alternative([*alternative.conditions, within], searched_since=at)


@dataclass
class Selection:
    """SQL conditions on ``Ticket`` (and on ``Customer`` when ``joins_customer``). A ticket is listed when it
    meets every condition and, if there are ``alternatives``, at least one of them. Alternatives on
    different tables are queried apart and united (each with its own index) instead of as one OR, which
    neither database can answer from an index across a join."""

    conditions: list[Any] = field(default_factory=list)
    joins_customer: bool = False
    alternatives: list[Alternative] = field(default_factory=list)


def selection(
    *,
    actor: Actor,
    status: TicketStatus | None = None,
    priority: Priority | None = None,
    kind: TicketKind | None = None,
    sla_state: SlaState | None = None,
    q: str | None = None,
) -> Selection:
    """The conditions of a listing: the filters, what the actor may see (as ``is_visible``), the term."""
    chosen = Selection()
    for column, value in (
        (Ticket.status, status),
        (Ticket.priority, priority),
        (Ticket.kind, kind),
        (Ticket.sla_state, sla_state),
    ):
        if value is not None:
            chosen.conditions.append(column == value)
    if account_rules.sees_only_own_tickets(actor.role):
        if actor.role == Role.TECHNICIAN:
            chosen.conditions.append(Ticket.assignee_id == actor.user_id)
        elif actor.role == Role.PROVIDER and actor.organisation_id is not None:
            chosen.conditions.append(Ticket.organisation_id == actor.organisation_id)
        elif actor.role == Role.CUSTOMER and actor.phone:
            chosen.joins_customer = True
            chosen.conditions.append(Customer.phone == actor.phone)
        else:
            chosen.conditions.append(Ticket.id.is_(None))
    if q and q.strip():
        _add_term(chosen, q.strip())
    return chosen


class Branch(StrEnum):
    """What a search term is matched against (each branch is answered from its own index)."""

    NUMBER = "number"  # the full ticket number, exactly
    PHONE = "phone"  # a fragment of the customer's phone (trigram index on PostgreSQL)
    NUMBER_DIGITS = "number_digits"  # the same digits in the ticket number (trigram)
    NAME = "name"  # the customer's full name, or the start of it (B-tree, ix_customers_name)
    SERIAL = "serial"  # the product's serial number, or the start of it (B-tree, ix_installed_products_serial_number)
    TEXT = "text"  # a fragment of the description or the number (trigram)


MIN_NAME_PREFIX = 2  # a single character is only looked up as a whole name: "王" would be every 王
MIN_SERIAL_PREFIX = 4
MIN_DIGIT_SERIAL = 8  # digits only: shorter ones are phone fragments (the last four digits) far more often
_NAME_MARKS = frozenset(" ·•.-'")  # 欧阳·娜娜, Li Na, O'Neil
_MOBILE_RE = re.compile(r"1[3-9]\d{9}")  # a whole mobile number is not read as a serial too
_SERIAL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9./-]*")


def branches(term: str) -> tuple[Branch, ...]:
    """How a search term is matched, from its form alone.

    A full ticket number only as that number; phone-like digits against phones and numbers; a name-like
    term (letters of any script, no digits) against customers' names and the text; a serial-like term
    (letters and digits, at least four) against serial numbers and the text; anything else the text."""
    term = term.strip()
    if not term:
        return ()
    if rules.looks_like_number(term):
        return (Branch.NUMBER,)
    if rules.phone_digits(term) is not None:
        # A long run of digits may also be a serial number printed without letters.
        long_digits = term.isdigit() and len(term) >= MIN_DIGIT_SERIAL and not _MOBILE_RE.fullmatch(term)
        serial = (Branch.SERIAL,) if long_digits else ()
        return (Branch.PHONE, Branch.NUMBER_DIGITS, *serial)
    if _is_name_like(term):
        return (Branch.NAME, Branch.TEXT)
    if (
        len(term) >= MIN_SERIAL_PREFIX
        and _SERIAL_RE.fullmatch(term)
        and any(ch.isdigit() for ch in term)
        and any(ch.isalpha() for ch in term)
    ):
        return (Branch.SERIAL, Branch.TEXT)
    return (Branch.TEXT,)


def _is_name_like(term: str) -> bool:
    """Letters of any script and the marks inside names; a space only in a Latin name ("Li Na"): Chinese
    names have none, and "指纹锁 打不开" is two words of a description."""
    if " " in term and not term.isascii():
        return False
    return any(ch.isalpha() for ch in term) and all(ch.isalpha() or ch in _NAME_MARKS for ch in term)


def _add_term(chosen: Selection, term: str) -> None:
    """One alternative per branch of ``branches(term)``; a lone ticket number is a plain condition.

    Fragments are ``LIKE '%…%'`` (``ILIKE`` on PostgreSQL, ``lower() LIKE lower()`` on SQLite), which
    PostgreSQL answers from the trigram indexes of migration 0018 when the fragment has three or more
    characters. Names and serial numbers are matched whole or by their start (``starts_with``), never by
    a fragment: a leading wildcard could not use their B-tree indexes."""
    digits = rules.phone_digits(term) or ""
    for branch in branches(term):
        if branch == Branch.NUMBER:
            chosen.conditions.append(Ticket.number == term.upper())
        elif branch == Branch.PHONE:
            by_phone = Customer.phone.like(_containing(digits), escape=ESCAPE)
            chosen.alternatives.append(Alternative([by_phone], joins_customer=True, customers=by_phone))
        elif branch == Branch.NUMBER_DIGITS:
            chosen.alternatives.append(Alternative([Ticket.number.like(_containing(digits), escape=ESCAPE)]))
        elif branch == Branch.NAME:
            # A Latin name is found however it was typed ("li na", "LI NA" for "Li Na"): each spelling is
            # one range of the name index, where lower(name) would need an index of its own.
            spellings = dict.fromkeys([term, term.title(), term.upper(), term.lower()] if term.isascii() else [term])
            by_name = or_(
                *(
                    starts_with(Customer.name, spelling) if len(term) >= MIN_NAME_PREFIX else Customer.name == spelling
                    for spelling in spellings
                )
            )
            chosen.alternatives.append(Alternative([by_name], joins_customer=True, customers=by_name))
        elif branch == Branch.SERIAL:
            # Serial numbers are printed in capitals; an agent may type them in lower case.
            spellings = dict.fromkeys([term, term.upper()])
            by_serial = or_(*(starts_with(InstalledProduct.serial_number, spelling) for spelling in spellings))
            products = select(InstalledProduct.id).where(by_serial)
            chosen.alternatives.append(Alternative([Ticket.installed_product_id.in_(products)], products=by_serial))
        elif len(term) < MIN_INDEXED_FRAGMENT:
            # lower(column) is not what the trigram indexes hold, so neither database reaches for them and
            # both walk the newest tickets (the window ``resolve`` adds).
            lowered = func.lower(literal(_containing(term)))
            found = or_(
                func.lower(Ticket.description).like(lowered, escape=ESCAPE),
                func.lower(Ticket.number).like(lowered, escape=ESCAPE),
            )
            chosen.alternatives.append(Alternative([found], recent_only=True))
        else:
            pattern = _containing(term)
            chosen.alternatives.append(
                Alternative(
                    [or_(Ticket.description.ilike(pattern, escape=ESCAPE), Ticket.number.ilike(pattern, escape=ESCAPE))]
                )
            )


ESCAPE = "/"


def _escaped(term: str) -> str:
    """``term`` with the LIKE wildcards (and ``ESCAPE`` itself) escaped with ``ESCAPE``."""
    return term.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")


def _containing(term: str) -> str:
    """A LIKE pattern matching ``term`` anywhere, its wildcards escaped with ``ESCAPE``."""
    return f"%{_escaped(term)}%"


def _after_prefix(prefix: str) -> str | None:
    """The smallest string greater than every string that starts with ``prefix`` (code point order), or
    None when there is none (a prefix of U+10FFFF characters only)."""
    stripped = prefix.rstrip(chr(0x10FFFF))
    if not stripped:
        return None
    following = ord(stripped[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:  # surrogates cannot be stored: the next character is U+E000
        following = 0xE000
    return stripped[:-1] + chr(following)


class StartsWith(ColumnElement[bool]):
    """``column`` starts with ``prefix``, in the form each database answers from a B-tree index.

    PostgreSQL turns ``LIKE 'p%'`` into an index range when the index uses ``varchar_pattern_ops`` (as
    migration 0023's do, whatever the database's collation). SQLite does that only for a column that
    compares case-insensitively, so there it is written as the range itself, ``column >= 'p' AND column <
    'q'``: its BINARY order is the code point order, so the range holds exactly the strings that start
    with ``p``."""

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a condition, not a boolean column: never "… = 1" where booleans are ints
    _traverse_internals = [  # noqa: RUF012 (SQLAlchemy's cache key: both spellings with their parameters)
        ("pattern", InternalTraversal.dp_clauseelement),
        ("range", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: Any, prefix: str) -> None:
        self.pattern = column.like(_escaped(prefix) + "%", escape=ESCAPE)
        after = _after_prefix(prefix)
        self.range = and_(column >= prefix, column < after) if after is not None else column >= prefix

    @property
    def _from_objects(self) -> list[Any]:
        return list(self.range._from_objects)


def starts_with(column: Any, prefix: str) -> StartsWith:
    """A condition: ``column`` starts with ``prefix`` (taken literally), answered from the column's index."""
    return StartsWith(column, prefix)


@compiles(StartsWith)
def _starts_with_like(element: StartsWith, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.pattern, **kw)


@compiles(StartsWith, "sqlite")
def _starts_with_range(element: StartsWith, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.range, **kw)
