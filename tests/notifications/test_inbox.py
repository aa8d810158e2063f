"""The staff inbox: internal messages reach the people they are addressed to, through the real producers
(the SLA sweep), in the console (page, header badge, mark read) and the API; nobody reads or marks another
person's messages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.enums import OrganisationKind, Role
from aftersales.accounts.models import AuditEntry
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import FrozenClock
from aftersales.notifications import inbox
from aftersales.notifications import service as notifications_service
from aftersales.notifications.enums import Channel
from aftersales.notifications.models import OutboxMessage
from aftersales.notifications.rendering import TEMPLATES
from aftersales.tickets import sla_tracking
from aftersales.tickets.enums import Priority, TicketKind
from tests import factories
from tests.conftest import UserFactory, console_login, local


def _message(db: Session, clock: FrozenClock, user_id: int, key: str, *, channel: Channel = Channel.INTERNAL) -> int:
    notifications_service.enqueue(
        db,
        clock=clock,
        kind="hot_issue",
        dedupe_key=key,
        context=TEMPLATES["hot_issue"].sample,
        recipient_user_id=user_id,
        channel=channel,
        recipient_address="x@example.com" if channel is Channel.EMAIL else None,
    )
    return db.scalars(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)).one()


def _read_at(db: Session, ids: list[int]) -> list[bool]:
    db.expire_all()
    return [db.get(OutboxMessage, i).read_at is not None for i in ids]  # type: ignore[union-attr]


def test_the_inbox_lists_only_ones_own_internal_messages_newest_first(
    db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    me, _ = make_user(Role.AGENT)
    other, _ = make_user(Role.AGENT)
    first = _message(db, clock, me.user_id, "a")
    _message(db, clock, other.user_id, "b")
    _message(db, clock, me.user_id, "c", channel=Channel.EMAIL)  # sent by email, not an inbox message
    second = _message(db, clock, me.user_id, "d")
    found = inbox.list_inbox(db, user_id=me.user_id)
    assert ([m.id for m in found.messages], found.unread, found.next_before) == ([second, first], 2, None)
    page = inbox.list_inbox(db, user_id=me.user_id, limit=1)
    assert ([m.id for m in page.messages], page.next_before) == ([second], second)
    rest = inbox.list_inbox(db, user_id=me.user_id, before_id=page.next_before, limit=1)
    assert ([m.id for m in rest.messages], rest.next_before) == ([first], None)


def test_marking_read_touches_only_ones_own_messages_and_is_audited(
    db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    me, _ = make_user(Role.AGENT)
    other, _ = make_user(Role.AGENT)
    mine = [_message(db, clock, me.user_id, f"m{i}") for i in range(3)]
    theirs = _message(db, clock, other.user_id, "t")
    audits = db.scalar(select(func.count()).select_from(AuditEntry))
    assert inbox.mark_read(db, clock=clock, actor=me, message_ids=[mine[0], theirs]) == 1
    assert _read_at(db, [*mine, theirs]) == [True, False, False, False]
    assert inbox.mark_read(db, clock=clock, actor=me, message_ids=[mine[0]]) == 0  # already read: no audit
    assert inbox.mark_read(db, clock=clock, actor=me) == 2
    assert _read_at(db, [*mine, theirs]) == [True, True, True, False]
    entries = db.scalars(select(AuditEntry).where(AuditEntry.action == "inbox.read").order_by(AuditEntry.id)).all()
    assert [(e.actor_name, e.entity_id, e.after) for e in entries] == [
        (me.username, str(me.user_id), {"messages": sorted([mine[0], theirs]), "changed": 1}),
        (me.username, str(me.user_id), {"messages": "all", "changed": 2}),
    ]
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == audits + 2
    assert inbox.unread_count(db, user_id=other.user_id) == 1


def test_the_unread_count_stops_at_its_cap(db: Session, clock: FrozenClock, make_user: UserFactory) -> None:
    me, _ = make_user(Role.AGENT)
    for i in range(inbox.COUNT_CAP + 3):
        _message(db, clock, me.user_id, f"n{i}")
    assert inbox.unread_count(db, user_id=me.user_id) == inbox.COUNT_CAP + 1


def test_an_sla_warning_lands_in_the_technicians_and_supervisors_inboxes(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    accounts_service.create_organisation(
        db, clock=clock, actor=SYSTEM_ACTOR, code="HQ", name="总部", kind=OrganisationKind.HQ
    )
    supervisor, sup_token = make_user(Role.MANAGER, username="sup_i", organisation_code="HQ")
    tech, tech_token = make_user(
        Role.TECHNICIAN, username="tech_i", organisation_code="HQ", supervisor_username="sup_i"
    )
    ticket = factories.ticket(
        db, clock=clock, kind=TicketKind.REPAIR, priority=Priority.URGENT, assignee_username="tech_i"
    )
    db.commit()
    clock.set(local(2026, 11, 22, 10, 24))  # 80 % of the 30-minute first-contact target
    sla_tracking.sweep(db, clock=clock)
    db.commit()
    for token in (tech_token, sup_token):
        reply = client.get("/api/v1/notifications/inbox", headers={"Authorization": f"Bearer {token}"})
        assert reply.status_code == 200
        body = reply.json()
        assert ([(m["kind"], m["ticket_id"]) for m in body["items"]], body["unread"]) == (
            [("sla_warning", ticket.id)],
            1,
        )
    # The technician marks it read through the API; the supervisor's copy stays unread.
    message_id = client.get("/api/v1/notifications/inbox", headers={"Authorization": f"Bearer {tech_token}"}).json()
    read = client.post(
        "/api/v1/notifications/inbox/read",
        json={"ids": [message_id["items"][0]["id"]]},
        headers={"Authorization": f"Bearer {tech_token}"},
    )
    assert read.json() == {"read": 1}
    assert inbox.unread_count(db, user_id=tech.user_id) == 0
    assert inbox.unread_count(db, user_id=supervisor.user_id) == 1


def test_the_console_inbox_badge_and_mark_read(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    me, _ = make_user(Role.AGENT, username="inbox_agent")
    ids = [_message(db, clock, me.user_id, f"k{i}") for i in range(2)]
    db.commit()
    csrf = console_login(client, db, "inbox_agent")
    home = client.get("/console/tickets")
    assert 'id="inbox-badge"' in home.text and 'hx-get="/console/inbox/badge"' in home.text
    badge = client.get("/console/inbox/badge")
    assert re.search(r'data-unread="2"', badge.text) and 'hx-trigger="every 15s"' in badge.text
    page = client.get("/console/inbox")
    assert page.status_code == 200
    assert re.findall(r'data-message="(\d+)"', page.text) == [str(ids[1]), str(ids[0])]
    assert page.text.count('class="unread"') == 2
    one = client.post(
        "/console/inbox/read", data={"csrf_token": csrf, "message_id": str(ids[0])}, headers={"HX-Request": "true"}
    )
    assert one.status_code == 200 and 'data-unread="1"' in one.text
    assert _read_at(db, ids) == [True, False]
    everything = client.post(
        "/console/inbox/read", data={"csrf_token": csrf, "everything": "true"}, follow_redirects=False
    )
    assert (everything.status_code, everything.headers["location"]) == (303, "/console/inbox")
    assert _read_at(db, ids) == [True, True]
    assert 'data-unread="0"' in client.get("/console/inbox/badge").text


def test_marking_without_the_csrf_token_changes_nothing(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    me, _ = make_user(Role.AGENT, username="inbox_csrf")
    message = _message(db, clock, me.user_id, "z")
    db.commit()
    console_login(client, db, "inbox_csrf")
    refused = client.post("/console/inbox/read", data={"everything": "true"}, follow_redirects=False)
    assert refused.status_code == 403
    assert _read_at(db, [message]) == [False]
