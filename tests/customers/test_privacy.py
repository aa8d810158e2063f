"""Personal-information requests: the export holds everything about the customer; the erasure replaces
name, phone, addresses and their texts, keeps the work orders' statistics, and both are audited."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.models import AuditEntry
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import FrozenClock
from aftersales.customers.models import Address, Customer
from aftersales.tickets import service as tickets_service
from aftersales.tickets.models import Ticket
from aftersales.usecases import privacy
from tests import factories

PHONE = factories.CUSTOMER_PHONE


def test_export_then_erase_keeps_the_statistics_and_nothing_personal(db: Session, clock: FrozenClock) -> None:
    first = factories.ticket(db, clock=clock, description="指纹锁失灵，我家在南山区科技园 3 栋")
    second = factories.ticket(db, clock=clock, description="门铃没电了")
    tickets_service.add_comment(
        db, clock=clock, actor=SYSTEM_ACTOR, ticket_id=first.id, body="请下午来", is_internal=False
    )
    other = factories.ticket(db, clock=clock, phone="13900001111", customer_name="李四")

    exported = privacy.export_customer(db, clock=clock, actor=SYSTEM_ACTOR, phone=PHONE)
    assert exported["customer"]["phone"] == PHONE
    assert [t["number"] for t in exported["tickets"]] == [first.number, second.number]
    assert exported["tickets"][0]["comments"] == ["请下午来"]
    json.dumps(exported, ensure_ascii=False)  # JSON-ready

    erasure = privacy.erase_customer(db, clock=clock, actor=SYSTEM_ACTOR, phone=PHONE)
    assert (erasure.tickets, erasure.addresses, erasure.comments) == (2, 1, 1)
    db.expire_all()
    customer = db.get(Customer, first.customer_id)
    assert customer is not None and (customer.name, customer.phone) == ("已删除用户", f"erased-{customer.id}")
    address = db.scalars(select(Address).where(Address.customer_id == customer.id)).one()
    assert (address.raw, address.longitude, address.city) == ("（已删除）", None, "深圳市")
    kept = db.scalars(select(Ticket).where(Ticket.customer_id == customer.id).order_by(Ticket.id)).all()
    assert [(t.number, t.kind, t.status, t.description) for t in kept] == [
        (first.number, first.kind, first.status, "（已删除）"),
        (second.number, second.kind, second.status, "（已删除）"),
    ]
    assert db.get(Ticket, other.id).description != "（已删除）"  # type: ignore[union-attr]
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "customer")).all()
    assert sorted(actions) == ["customer.erased", "customer.exported"]
    assert PHONE not in json.dumps([entry.after for entry in db.scalars(select(AuditEntry))], ensure_ascii=False)
    # Nothing is left to find under the old phone.
    assert db.scalar(select(func.count()).select_from(Customer).where(Customer.phone == PHONE)) == 0
