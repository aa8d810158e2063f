"""Load the demo data set into the configured database through the real services (idempotent).

Order: SLA and triage defaults, the product catalogue, the service network, the staff, then the
historical tickets replayed in batches of :data:`BATCH_SIZE`, each batch its own unit of work — an
interrupted load resumes where it stopped, and a rerun creates nothing new. Each stage, and each ticket,
is reported to ``progress`` (the command shows it on stderr: a full load takes minutes).
"""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from aftersales.accounts import service as accounts_service
from aftersales.accounts.errors import OrganisationNotFoundError, UserNotFoundError
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core import runtime
from aftersales.core.clock import Clock, SystemClock
from aftersales.core.db import unit_of_work
from aftersales.core.progress import SILENT, Progress
from aftersales.customers import service as customers_service
from aftersales.demo import people, workload
from aftersales.demo.bulletins import load_bulletins
from aftersales.demo.data import AGENT_USERNAME, DEMO_PASSWORD, EXTERNAL_ID_PREFIX, ORGANISATIONS, PRODUCTS, USERS
from aftersales.demo.network import load_network
from aftersales.demo.timeline import Clocks
from aftersales.sla import service as sla_service
from aftersales.sla.defaults import seed_defaults
from aftersales.tickets.enums import Priority, TicketKind
from aftersales.tickets.models import Ticket
from aftersales.triage import learning as triage_learning
from aftersales.triage.defaults import seed_rules
from aftersales.usecases.history import replay

CUSTOMER_COUNT = 600
BATCH_SIZE = 100


def load_demo(
    ticket_count: int = 2000,
    days: int = 90,
    seed: int = 20261122,
    *,
    clock: Clock | None = None,
    progress: Progress = SILENT,
) -> dict[str, object]:
    """Load (or complete) the demo as of ``clock`` (default: wall clock); returns what was created and the spread."""
    if ticket_count < 0 or days < 1:
        raise ValueError("ticket_count must be >= 0 and days >= 1")
    factory = runtime.session_factory()
    clock = clock or SystemClock()
    with unit_of_work(factory) as session:
        progress.stage("默认值与目录 / defaults")
        seed_defaults(session)
        seed_rules(session)
        products = _load_products(session)
        organisations = _load_organisations(session, clock=clock)
        progress.stage("演示账号 / users", total=len(USERS))
        users = _load_users(session, clock=clock, progress=progress)
        progress.stage("服务网络 / network")
        network = load_network(session)
    created, skipped = _load_tickets(
        factory, clock=clock, ticket_count=ticket_count, days=days, seed=seed, progress=progress
    )
    with unit_of_work(factory) as session:
        progress.stage("公告 / bulletins")
        # After the history, so replayed tickets are not linked (and nobody is notified about them).
        bulletins = load_bulletins(session, clock=clock)
    from aftersales.knowledge.cli import load_seed

    knowledge = load_seed(progress=progress)  # the 售后辞典 seed articles (idempotent by key)
    with unit_of_work(factory) as session:
        progress.stage("汇总 / summary")
        summary = _summary(session)
    return {
        "knowledge_articles": knowledge,
        "products": products,
        "organisations": organisations,
        "users": users,
        "field_network": network,
        "known_issue_bulletins": bulletins,
        "tickets_created": created,
        "tickets_skipped": skipped,
        **summary,
    }


def _load_products(session: Session) -> int:
    """Add the catalogue entries that are missing (an admin's edits to existing ones are kept)."""
    created = 0
    for spec in PRODUCTS:
        if customers_service.get_product_model(session, spec.code) is None:
            customers_service.upsert_product_model(
                session,
                code=spec.code,
                name=spec.name,
                category=spec.category,
                warranty_months=spec.warranty_months,
                is_onsite_service=spec.is_onsite_service,
            )
            created += 1
    return created


def _load_organisations(session: Session, *, clock: Clock) -> int:
    created = 0
    for spec in ORGANISATIONS:
        try:
            accounts_service.get_organisation_by_code(session, spec.code)
        except OrganisationNotFoundError:
            accounts_service.create_organisation(
                session,
                clock=clock,
                actor=SYSTEM_ACTOR,
                code=spec.code,
                name=spec.name,
                kind=spec.kind,
                parent_code=spec.parent_code,
                city=spec.city,
            )
            created += 1
    return created


def _load_users(session: Session, *, clock: Clock, progress: Progress) -> int:
    created = 0
    for spec in USERS:
        try:
            accounts_service.get_user(session, spec.username)
        except UserNotFoundError:
            accounts_service.create_user(
                session,
                clock=clock,
                actor=SYSTEM_ACTOR,
                username=spec.username,
                role=spec.role,
                password=DEMO_PASSWORD,
                display_name=spec.display_name,
                organisation_code=spec.organisation_code,
                supervisor_username=spec.supervisor_username,
            )
            created += 1
        progress.advance()  # a new one takes a moment: its password is hashed
    return created


def _clocks(session: Session) -> dict[Priority, Clocks]:
    """The configured SLA policies, as the timeline planner needs them."""
    table = {}
    for priority in Priority:
        policy = sla_service.get_policy(session, priority.value)
        spec = sla_service.policy_spec(policy)
        table[priority] = Clocks(
            first_response=spec.first_response,
            resolution=spec.resolution,
            onsite=spec.onsite,
            calendar=sla_service.calendar_spec(session, policy.calendar_id),
            warning_ratio=spec.warning_ratio,
        )
    return table


def _existing_ids(session: Session) -> set[str]:
    return set(session.scalars(select(Ticket.external_id).where(Ticket.external_id.like(f"{EXTERNAL_ID_PREFIX}%"))))


def _load_tickets(
    factory: sessionmaker[Session], *, clock: Clock, ticket_count: int, days: int, seed: int, progress: Progress
) -> tuple[int, int]:
    """Replay the history in batches; returns (created, skipped as already present)."""
    now = clock.now()
    customers = people.make_customers(random.Random(seed), CUSTOMER_COUNT, days=days)
    weights = [customer.weight for customer in customers]
    assignees = workload.assignees_by_city()
    with unit_of_work(factory) as session:
        existing = _existing_ids(session)
    pending = [index for index in range(1, ticket_count + 1) if workload.external_id(index) not in existing]
    created, skipped = 0, ticket_count - len(pending)
    progress.stage("历史工单 / tickets", total=ticket_count)
    progress.advance(skipped)
    for start in range(0, len(pending), BATCH_SIZE):
        with unit_of_work(factory) as session:
            actor = accounts_service.actor_for(accounts_service.get_user(session, AGENT_USERNAME))
            clocks = _clocks(session)

            def classify(text: str, session: Session = session) -> tuple[TicketKind, Priority]:
                # What intake will decide for a request left to triage (the model and the rules), so that
                # the steps composed for the ticket fit the kind it gets (an on-site one needs its check-in).
                proposal = triage_learning.analyse(session, text)
                return TicketKind(proposal.kind), Priority(proposal.priority)

            for index in pending[start : start + BATCH_SIZE]:
                ticket = workload.compose(
                    index,
                    seed=seed,
                    now=now,
                    days=days,
                    customers=customers,
                    customer_weights=weights,
                    clocks=clocks,
                    classify=classify,
                    assignees=assignees,
                )
                _, is_new = replay(
                    session,
                    clock=clock,
                    actor=actor,
                    request=ticket.request,
                    steps=ticket.steps,
                    assignee_username=ticket.assignee_username,
                )
                created, skipped = (created + 1, skipped) if is_new else (created, skipped + 1)
                progress.advance()
    return created, skipped


def _count_by(session: Session, column: InstrumentedAttribute[Any]) -> dict[str, int]:
    rows = session.execute(
        select(column, func.count())
        .where(Ticket.external_id.like(f"{EXTERNAL_ID_PREFIX}%"))
        .group_by(column)
        .order_by(column)
    ).all()
    return {str(value): count for value, count in rows}


def _summary(session: Session) -> dict[str, object]:
    """Distributions over every demo ticket now in the database."""
    demo = Ticket.external_id.like(f"{EXTERNAL_ID_PREFIX}%")
    total = session.scalar(select(func.count()).where(demo)) or 0
    customers = session.scalar(select(func.count(func.distinct(Ticket.customer_id))).where(demo)) or 0
    reopened = session.scalar(select(func.count()).where(demo, Ticket.reopen_count > 0)) or 0
    return {
        "demo_tickets": total,
        "customers": customers,
        "reopened": reopened,
        "by_status": _count_by(session, Ticket.status),
        "by_sla_state": _count_by(session, Ticket.sla_state),
        "by_kind": _count_by(session, Ticket.kind),
        "by_priority": _count_by(session, Ticket.priority),
        "by_channel": _count_by(session, Ticket.channel),
    }
