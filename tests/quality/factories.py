"""Builders for quality tests: a provider network and closed tickets spread over it (inserted
directly, since sampling needs a thousand of them)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.enums import OrganisationKind
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import FrozenClock
from aftersales.customers.models import Customer
from aftersales.tickets.models import Ticket


def make_providers(db: Session, clock: FrozenClock, count: int) -> list[int]:
    """An HQ and ``count`` partner providers under it; returns the providers' ids."""
    accounts_service.create_organisation(
        db, clock=clock, actor=SYSTEM_ACTOR, code="QHQ", name="总部", kind=OrganisationKind.HQ
    )
    return [
        accounts_service.create_organisation(
            db, clock=clock, actor=SYSTEM_ACTOR, code=f"QP{index}", name=f"服务商{index}",
            kind=OrganisationKind.PROVIDER, parent_code="QHQ",
        ).id
        for index in range(1, count + 1)
    ]  # fmt: skip


def insert_tickets(
    db: Session,
    clock: FrozenClock,
    *,
    organisation_id: int | None,
    count: int,
    closed_at: datetime | None,
    assignee_id: int | None = None,
    customer_id: int | None = None,
    kind: str = "repair",
    product_model: str | None = "YL-S7",
    sla_state: str = "met",
    prefix: str = "QA",
) -> list[int]:
    """Minimal ticket rows in one statement (closed when ``closed_at`` is given)."""
    now = clock.now()
    if customer_id is None:
        serial = (db.scalar(select(func.max(Customer.id))) or 0) + 1
        customer = Customer(name="质检客户", phone=f"139{serial:08d}", phone_kind="mobile", created_at=now)
        db.add(customer)
        db.flush()
        customer_id = customer.id
    start = (db.scalar(select(func.count()).select_from(Ticket)) or 0) + 1
    reported = (closed_at or now) - timedelta(days=2)
    rows = [
        {
            "number": f"{prefix}{organisation_id or 0:03d}-{start + index:06d}",
            "kind": kind,
            "priority": "routine",
            "status": "closed" if closed_at else "in_progress",
            "channel": "hotline",
            "customer_id": customer_id,
            "description": "门锁维修",
            "reported_at": reported,
            "created_at": reported,
            "updated_at": now,
            "sla_state": sla_state,
            "closed_at": closed_at,
            "reopen_count": 0,
            "version": 1,
            "organisation_id": organisation_id,
            "assignee_id": assignee_id,
            "product_model": product_model,
        }
        for index in range(count)
    ]
    db.execute(insert(Ticket), rows)
    return list(db.scalars(select(Ticket.id).where(Ticket.number.like(f"{prefix}{organisation_id or 0:03d}-%"))))
