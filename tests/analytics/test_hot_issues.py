"""Hot issues: topics from FAQ articles or clusters; one alert above 30 % (31 % fires, 29 % does not)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import Actor
from aftersales.analytics import hot_issues
from aftersales.analytics import jobs as analytics_jobs
from aftersales.analytics.models import TicketTopic, TopicCluster
from aftersales.config import Settings
from aftersales.core.clock import FrozenClock
from aftersales.knowledge import service as knowledge_service
from aftersales.knowledge.schemas import ArticleCreate
from aftersales.notifications.models import OutboxMessage
from aftersales.tickets.enums import Priority, TicketKind
from tests import factories
from tests.conftest import UserFactory

EDITOR = Actor(user_id=None, username="editor", role=Role.ADMIN)


def _tickets(db: Session, clock: FrozenClock, count: int, description: str, start: int = 0) -> list[int]:
    return [
        factories.ticket(
            db,
            clock=clock,
            actor=EDITOR,
            description=description,
            customer_name="客户",
            phone=f"139{index:08d}",
            address=None,
            product_model=None,
            kind=TicketKind.CONSULTATION,
            priority=Priority.ROUTINE,
        ).id
        for index in range(start, start + count)
    ]


def _topics(db: Session, clock: FrozenClock, ids: list[int], topic: str) -> None:
    for ticket_id in ids:
        db.add(
            TicketTopic(ticket_id=ticket_id, topic=topic, label=topic, reported_at=clock.now(), assigned_at=clock.now())
        )
    db.flush()


def _alerts(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "hot_issue")) or 0)


def _scenario(db: Session, clock: FrozenClock, make_user: UserFactory, hot: int) -> None:
    make_user(Role.MANAGER, username="boss")
    ids = _tickets(db, clock, 100, "门锁问题")
    _topics(db, clock, ids[:hot], "article:1")
    for offset in range(hot, 100, 10):  # the rest spread thin
        _topics(db, clock, ids[offset : offset + 10], f"cluster:{offset}")


def test_31_percent_raises_one_alert(db: Session, clock: FrozenClock, make_user: UserFactory) -> None:
    _scenario(db, clock, make_user, 31)
    total, issues = hot_issues.hot_issues(db, now=clock.now())
    assert (total, issues[0].topic, issues[0].share, issues[0].is_hot) == (100, "article:1", 0.31, True)
    assert hot_issues.raise_alerts(db, clock=clock) == 1
    assert hot_issues.raise_alerts(db, clock=clock) == 0  # once per topic and window
    assert _alerts(db) == 1
    message = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "hot_issue")).one()
    assert "占比 31%" in message.subject and "门锁问题" in message.body


def test_29_percent_raises_nothing(db: Session, clock: FrozenClock, make_user: UserFactory) -> None:
    _scenario(db, clock, make_user, 29)
    _, issues = hot_issues.hot_issues(db, now=clock.now())
    assert issues[0].share == 0.29 and not issues[0].is_hot
    assert hot_issues.raise_alerts(db, clock=clock) == 0 and _alerts(db) == 0


def test_requests_map_to_articles_or_clusters(db: Session, clock: FrozenClock) -> None:
    knowledge_service.create_article(
        db,
        clock=clock,
        actor=EDITOR,
        data=ArticleCreate(
            title="智能锁电池没电了怎么办",
            body="应急供电。",
            questions=["门锁没电了", "指纹锁低电量"],
            status="published",
        ),
    )
    battery = _tickets(db, clock, 2, "门锁没电了，打不开")
    other = _tickets(db, clock, 2, "洗碗机的排水管有异味", start=10)
    assert hot_issues.assign_topics(db, clock=clock) == 4
    topics = dict(db.execute(select(TicketTopic.ticket_id, TicketTopic.topic)).all())
    assert topics[battery[0]].startswith("article:") and topics[battery[0]] == topics[battery[1]]
    assert topics[other[0]].startswith("cluster:") and topics[other[0]] == topics[other[1]]
    assert hot_issues.assign_topics(db, clock=clock) == 0


def test_hot_issues_api(client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory) -> None:
    _scenario(db, clock, make_user, 40)
    db.commit()
    _, token = make_user(Role.MANAGER, username="boss2")
    body = client.get(
        "/api/v1/insights/hot-issues?window_hours=24", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert body["total"] == 100 and body["issues"][0]["topic"] == "article:1" and body["issues"][0]["is_hot"] is True
    old = client.get("/api/v1/insights/hot-issues?window_hours=1", headers={"Authorization": f"Bearer {token}"})
    assert old.status_code == 200
    clock.advance(timedelta(days=2))
    assert client.get("/api/v1/insights/hot-issues", headers={"Authorization": f"Bearer {token}"}).json()["total"] == 0


def test_a_surge_against_the_baseline_alerts(db: Session, clock: FrozenClock, make_user: UserFactory) -> None:
    make_user(Role.MANAGER, username="boss3")
    earlier = FrozenClock(clock.now() - timedelta(days=3))
    base = _tickets(db, earlier, 40, "平板问题")
    for offset in range(0, 40, 4):
        _topics(db, earlier, base[offset : offset + 4], f"cluster:b{offset}")
    _topics_ids = _tickets(db, clock, 100, "手表问题", start=200)
    _topics(db, clock, _topics_ids[:12], "cluster:watch")  # 12 %: not hot, but new and ≥ 10 against no baseline
    for offset in range(12, 100, 8):
        _topics(db, clock, _topics_ids[offset : offset + 8], f"cluster:s{offset}")
    _, issues = hot_issues.hot_issues(db, now=clock.now())
    watch = next(issue for issue in issues if issue.topic == "cluster:watch")
    assert (watch.is_hot, watch.is_surging, watch.baseline) == (False, True, 0.0)
    assert hot_issues.raise_alerts(db, clock=clock) == 1


def test_a_planned_batch_skips_requests_mapped_meanwhile_and_adds_to_the_stored_centroid(
    db: Session, clock: FrozenClock
) -> None:
    first = _tickets(db, clock, 2, "洗碗机的排水管有异味")
    hot_issues.assign_topics(db, clock=clock)
    [cluster] = db.scalars(select(TopicCluster)).all()
    assert cluster.size == 2
    later = _tickets(db, clock, 3, "洗碗机的排水管有异味", start=10)
    work = hot_issues.plan_topics(db)  # worked out on this snapshot …
    assert [item.cluster_id for item in work.assignments] == [cluster.id] * 3
    # … while another writer maps one of them and grows the cluster by one.
    _topics(db, clock, later[:1], f"cluster:{cluster.id}")
    cluster.size += 1
    db.flush()
    assert hot_issues.write_topics(db, clock=clock, work=work) == 2
    db.refresh(cluster)
    assert cluster.size == 5  # 2 + the other writer's 1 + this batch's 2: nothing overwritten
    topics = dict(db.execute(select(TicketTopic.ticket_id, TicketTopic.topic)).all())
    assert {topics[ticket_id] for ticket_id in [*first, *later]} == {f"cluster:{cluster.id}"}


def test_the_job_works_in_short_batches_with_a_pause_between(
    db: Session, clock: FrozenClock, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    _tickets(db, clock, 25, "洗碗机的排水管有异味")
    db.commit()
    monkeypatch.setattr(hot_issues, "ASSIGN_BATCH", 10)
    writes: list[int] = []
    original = hot_issues.write_topics

    def counted(session: Session, **kwargs: Any) -> int:
        written = original(session, **kwargs)
        writes.append(written)
        return written

    monkeypatch.setattr(hot_issues, "write_topics", counted)
    pauses: list[float] = []
    report = analytics_jobs.hot_issue_job(session_factory, clock, Settings(), pause=pauses.append)
    assert report == {"assigned": 25, "batches": 3, "alerts": 1}  # one topic, 100 % of the day
    assert (writes, pauses) == ([10, 10, 5], [analytics_jobs.PAUSE_SECONDS] * 2)
    # A pass stops at its limit; the next pass goes on.
    monkeypatch.setattr(analytics_jobs, "PASS_LIMIT", 10)
    _tickets(db, clock, 15, "平板充不进电", start=100)
    db.commit()
    assert analytics_jobs.hot_issue_job(session_factory, clock, Settings(), pause=pauses.append)["assigned"] == 10
    assert analytics_jobs.hot_issue_job(session_factory, clock, Settings(), pause=pauses.append)["assigned"] == 5
