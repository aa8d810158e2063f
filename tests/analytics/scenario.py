"""The dashboard's scenario, shared by the service and console tests: nine tickets in four cities from
2026-11-19 to 2026-11-22 (local), opened and moved through their lifecycle with the frozen clock by the
factories, ending at NOW with an SLA sweep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from aftersales.core.clock import FrozenClock
from aftersales.tickets import sla_tracking
from aftersales.tickets.enums import EventType, Priority, TicketKind
from aftersales.tickets.models import Ticket
from tests import factories
from tests.factories import local

SHENZHEN = "广东省深圳市南山区科技园南区高新南七道1号"
GUANGZHOU = "广东省广州市天河区体育西路1号"
SHANGHAI = "上海市浦东新区世纪大道100号"
BEIJING = "北京市朝阳区建国路88号"
NOW = local(2026, 11, 22, 10, 0)


@dataclass(frozen=True)
class Scenario:
    """Ticket ids by letter (see ``build_scenario``)."""

    ids: dict[str, int]


def open_ticket(
    db: Session,
    clock: FrozenClock,
    at: datetime,
    *,
    address: str,
    kind: TicketKind,
    priority: Priority,
    description: str,
    phone: str,
) -> int:
    """A ticket registered at ``at`` (the clock is moved there) for a customer of its own."""
    clock.set(at)
    return factories.ticket(
        db,
        clock=clock,
        kind=kind,
        priority=priority,
        description=description,
        customer_name="测试客户",
        phone=phone,
        address=address,
        product_model="YL-S7",
        serial_number=f"SN-{phone}",
    ).id


def build_scenario(db: Session, clock: FrozenClock) -> Scenario:
    """Nine tickets from 2026-11-19 to 2026-11-22 (local), ending at NOW with an SLA sweep; committed.

    Guangdong (深圳/广州): A before the period (open), B closed with every target met, H cancelled, C and I
    open and untouched (C's urgent targets all breached, the last one today), D a complaint contacted in
    time, E contacted then on hold, with a fault type from triage. F in Shanghai breaches today too;
    G in Beijing is a consultation.
    """
    ids: dict[str, int] = {}
    repair, complaint, consultation = TicketKind.REPAIR, TicketKind.COMPLAINT, TicketKind.CONSULTATION
    routine, urgent, complex_ = Priority.ROUTINE, Priority.URGENT, Priority.COMPLEX

    def open_(letter: str, at: datetime, address: str, kind: TicketKind, priority: Priority, text: str) -> None:
        phone = f"1380013{8000 + len(ids):04d}"
        ids[letter] = open_ticket(
            db, clock, at, address=address, kind=kind, priority=priority, description=text, phone=phone
        )

    def move(letter: str, at: datetime, *moves: EventType) -> None:
        clock.set(at)
        factories.walk(db, clock=clock, ticket_id=ids[letter], events=moves)

    open_("A", local(2026, 11, 19, 23, 30), SHENZHEN, repair, routine, "指纹识别失败，现在只能用密码开门")
    open_("B", local(2026, 11, 20, 9), SHENZHEN, repair, urgent, "被锁门外了！密码和指纹都打不开")
    move("B", local(2026, 11, 20, 9, 10), EventType.CONTACT)
    open_("H", local(2026, 11, 20, 10), GUANGZHOU, repair, routine, "净水器接头漏水，橱柜里面都湿了")
    move("B", local(2026, 11, 20, 10, 30), EventType.CHECK_IN)
    move("H", local(2026, 11, 20, 11), EventType.CANCEL)
    move("B", local(2026, 11, 20, 15), EventType.RESULT, EventType.RETURN_VISIT, EventType.CLOSE)
    open_("C", local(2026, 11, 21, 8, 30), GUANGZHOU, repair, urgent, "门锁一直提示电量低，换了新电池还是提示低电量")
    open_("F", local(2026, 11, 21, 9), SHANGHAI, repair, urgent, "指纹头按上去没反应，指纹开门完全用不了")
    open_("I", local(2026, 11, 21, 14), GUANGZHOU, repair, routine, "电池没电了，低电量提醒响了好几天")
    open_("D", local(2026, 11, 21, 23, 30), SHENZHEN, complaint, routine, "投诉：师傅约好下午两点上门，等到五点都没来")
    open_("E", local(2026, 11, 22, 0, 30), SHENZHEN, repair, complex_, "门锁把手松动下垂，锁舌有时候不回弹")
    move("D", local(2026, 11, 22, 8, 5), EventType.CONTACT)
    move("E", local(2026, 11, 22, 8, 10), EventType.CONTACT)
    move("E", local(2026, 11, 22, 8, 30), EventType.HOLD)
    open_("G", local(2026, 11, 22, 9), BEIJING, consultation, routine, "怎么添加临时密码？想给保洁阿姨开个一次性密码")
    db.execute(update(Ticket).where(Ticket.id == ids["E"]).values(triage={"fault_type": "锁体松动"}))
    clock.set(NOW)
    sla_tracking.sweep(db, clock=clock)
    db.commit()
    return Scenario(ids=ids)
