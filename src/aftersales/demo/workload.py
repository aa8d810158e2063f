"""Compose the demo's historical tickets: who called, about what, on which channel, when, and what
happened next. Deterministic: ticket ``i`` draws from its own ``random.Random`` derived from the seed,
so a rerun (or a resumed run) composes the same ticket for the same external id."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from aftersales.accounts.enums import Role
from aftersales.core.timeutil import local_zone
from aftersales.customers.schemas import CustomerIn, ProductIn
from aftersales.demo import issues, people, texts
from aftersales.demo.data import EXTERNAL_ID_PREFIX, LOCK, PRODUCTS, USERS, ProductSpec
from aftersales.demo.timeline import Clocks, Shape, plan_steps
from aftersales.tickets.enums import Channel, Priority, TicketKind
from aftersales.tickets.schemas import TicketCreate
from aftersales.usecases.history import Step

K = TicketKind
KIND_WEIGHTS = {K.REPAIR: 50, K.INSTALLATION: 17, K.CONSULTATION: 24, K.COMPLAINT: 9}
CHANNEL_WEIGHTS = {Channel.HOTLINE: 44, Channel.WECHAT: 20, Channel.APP: 16, Channel.WEB: 12, Channel.API: 8}
# Calls by local hour: busy in the daytime and early evening, a trickle at night.
HOUR_WEIGHTS = (1, 0.5, 0.3, 0.3, 0.3, 0.5, 1, 3, 7, 10, 10, 9, 7, 8, 9, 9, 8, 7, 7, 8, 7, 5, 3, 2)
PRODUCTS_BY_CODE = {spec.code: spec for spec in PRODUCTS}
PROVIDER_SHARE = 0.15  # of the jobs in a city that has a partner provider

# Classify a description the way intake will (kind, priority) — supplied by the loader.
Classifier = Callable[[str], tuple[TicketKind, Priority]]


@dataclass(frozen=True)
class DemoTicket:
    """One composed ticket, ready to replay."""

    external_id: str
    request: TicketCreate
    steps: list[Step]
    assignee_username: str


def external_id(index: int) -> str:
    """DEMO-000001 …"""
    return f"{EXTERNAL_ID_PREFIX}{index:06d}"


def ticket_rng(seed: int, index: int) -> random.Random:
    """The random source of ticket ``index``'s content (independent of every other ticket)."""
    return random.Random(f"{seed}:ticket:{index}")


def assignees_by_city() -> dict[str, tuple[list[str], list[str]]]:
    """Per city: its service-center technicians and its partner providers' accounts."""
    table: dict[str, tuple[list[str], list[str]]] = {}
    for user in USERS:
        if user.city is None or user.role not in (Role.TECHNICIAN, Role.PROVIDER):
            continue
        technicians, providers = table.setdefault(user.city, ([], []))
        (technicians if user.role == Role.TECHNICIAN else providers).append(user.username)
    return table


def reported_time(rng: random.Random, *, now: datetime, days: int) -> datetime:
    """A past moment within ``days``: more recent days a little busier, daytime much busier than night."""
    today = now.astimezone(local_zone()).date()
    day_weights = [1.0 + 0.6 * (1 - offset / days) for offset in range(days)]
    for _ in range(20):
        day = today - timedelta(days=rng.choices(range(days), weights=day_weights)[0])
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        local = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), tzinfo=local_zone())
        if local <= now - timedelta(minutes=3):
            return local
    return now - timedelta(minutes=rng.uniform(10, 600))


def _pick_issue(rng: random.Random, kind: TicketKind, product: ProductSpec | None) -> issues.Issue:
    if product is None:
        pool = [issue for issue in issues.ISSUES if issue.kind == kind and issue.categories == issues.ALL]
    else:
        pool = [issue for issue in issues.issues_for(product.category, product.code) if issue.kind == kind]
        if not pool:  # e.g. installation of a tablet: nothing to install, so it is a question instead
            pool = [
                issue for issue in issues.issues_for(product.category, product.code) if issue.kind == K.CONSULTATION
            ]
    return rng.choices(pool, weights=[issue.weight for issue in pool])[0]


def compose(
    index: int,
    *,
    seed: int,
    now: datetime,
    days: int,
    customers: Sequence[people.CustomerSpec],
    customer_weights: Sequence[float],
    clocks: Mapping[Priority, Clocks],
    classify: Classifier,
    assignees: Mapping[str, tuple[list[str], list[str]]],
) -> DemoTicket:
    """Ticket ``index``: the request as it arrived and the steps it has taken by ``now``."""
    rng = ticket_rng(seed, index)
    if index <= len(customers):  # everyone calls at least once …
        customer = customers[_first_call_order(seed, len(customers))[index - 1]]
    else:  # … and the frequent callers call again and again
        customer = rng.choices(customers, weights=customer_weights)[0]
    kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
    # Times (and what has happened by now) draw from their own source: the content does not depend on now.
    time_rng = random.Random(f"{seed}:time:{index}")
    reported_at = reported_time(time_rng, now=now, days=days)
    reported_day = reported_at.astimezone(local_zone()).date()
    today = now.astimezone(local_zone()).date()

    product_in: ProductIn | None = None
    product: ProductSpec | None = None
    if kind == K.INSTALLATION:
        product = (
            people.pick_product(rng, category=LOCK)
            if rng.random() < 0.85
            else rng.choice([spec for spec in PRODUCTS if spec.category in issues.ONSITE_CATEGORIES])
        )
        purchased = reported_day - timedelta(days=rng.randint(1, 10))
        product_in = ProductIn(
            model=product.code, serial_number=people.serial_number(rng, product.code), purchase_date=purchased
        )
    elif kind == K.REPAIR or rng.random() < 0.7:
        owned = rng.choice(customer.products)
        product = PRODUCTS_BY_CODE[owned.model]
        product_in = ProductIn(
            model=owned.model, serial_number=owned.serial_number, purchase_date=_purchase_date(today, owned.age_days)
        )
    issue = _pick_issue(rng, kind, product)

    channel_weights = dict(CHANNEL_WEIGHTS)
    if issue.kind == K.INSTALLATION:
        channel_weights[Channel.API] = 40  # orders pushed by the e-commerce platforms
    channel = rng.choices(list(channel_weights), weights=list(channel_weights.values()))[0]
    description = texts.describe(rng, issue, product_name=product.name if product else "产品", channel=channel.value)

    # About 30% are left for triage to classify (kind and priority, or just the priority).
    omit = rng.random()
    given_kind = None if omit < 0.25 else issue.kind
    given_priority = None if omit < 0.30 else issue.priority
    if given_kind is None or given_priority is None:
        guessed_kind, guessed_priority = classify(description)
        kind_now, priority_now = given_kind or guessed_kind, given_priority or guessed_priority
    else:
        kind_now, priority_now = issue.kind, issue.priority

    is_field_work = kind_now in (K.INSTALLATION, K.REPAIR)
    shape = Shape(
        kind=kind_now,
        # A field job without a known product is visited too (the lifecycle asks for its check-in).
        is_onsite=is_field_work and (product is None or product.is_onsite_service),
        is_mail_in=kind_now == K.REPAIR and product is not None and not product.is_onsite_service,
    )
    technicians, providers = assignees[customer.city]
    use_provider = bool(providers) and rng.random() < PROVIDER_SHARE
    assignee = rng.choice(providers if use_provider else technicians)

    planned = plan_steps(time_rng, reported_at=reported_at, now=now, shape=shape, clocks=clocks[priority_now])
    notes = texts.notes_for(time_rng, planned, issue, is_mail_in=shape.is_mail_in)
    steps = [Step(event, at, note) for (event, at), note in zip(planned, notes, strict=True)]
    request = TicketCreate(
        kind=given_kind,
        priority=given_priority,
        channel=channel,
        customer=CustomerIn(name=customer.name, phone=customer.phone, address=customer.address),
        product=product_in,
        description=description,
        reported_at=reported_at,
        external_id=external_id(index),
    )
    return DemoTicket(external_id(index), request, steps, assignee)


@lru_cache(maxsize=4)
def _first_call_order(seed: int, count: int) -> tuple[int, ...]:
    order = list(range(count))
    random.Random(f"{seed}:first-calls").shuffle(order)
    return tuple(order)


def _purchase_date(today: date, age_days: int) -> date:
    return today - timedelta(days=age_days)
