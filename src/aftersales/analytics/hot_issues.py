"""Hot issues: every request is mapped to its best FAQ article (or to an embedding cluster when none fits
well); a topic above ``share_threshold`` of the volume in the window, or surging against its baseline,
raises one alert (outbox, deduplicated per topic and window) to the managers, with examples.
Flushes, never commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import User
from aftersales.analytics.models import TicketTopic, TopicCluster
from aftersales.core.clock import Clock
from aftersales.knowledge import embedder
from aftersales.knowledge import service as knowledge_service
from aftersales.notifications import service as notifications_service
from aftersales.tickets.models import Ticket

ARTICLE_MIN_SCORE = 0.55  # fused search score (0..1) above which a request "is" that FAQ
CLUSTER_MIN_COSINE = 0.75
ASSIGN_BATCH = 500
DEFAULT_SHARE = 0.30
SURGE_FACTOR = 3.0
SURGE_MIN_COUNT = 10
BASELINE_WINDOWS = 7


def assign_topics(session: Session, *, clock: Clock, limit: int = ASSIGN_BATCH) -> int:
    """Map requests without a topic yet (newest first); returns how many were mapped."""
    pending = session.execute(
        select(Ticket.id, Ticket.description, Ticket.product_model, Ticket.reported_at)
        .outerjoin(TicketTopic, TicketTopic.ticket_id == Ticket.id)
        .where(TicketTopic.ticket_id.is_(None))
        .order_by(Ticket.reported_at.desc())
        .limit(limit)
    ).all()
    if not pending:
        return 0
    clusters = list(session.scalars(select(TopicCluster)))
    centroids = (
        np.vstack([embedder.from_bytes(c.centroid) for c in clusters])
        if clusters
        else np.zeros((0, embedder.DIMENSIONS), np.float32)
    )
    now = clock.now()
    for ticket_id, description, _product, reported_at in pending:
        hits = knowledge_service.search(session, query=description[:500], audience="customer", limit=1)
        if hits and hits[0].score >= ARTICLE_MIN_SCORE:
            topic, label = f"article:{hits[0].article_id}", hits[0].title
        else:
            vector = embedder.encode([description[:500]])[0]
            best = int(np.argmax(centroids @ vector)) if len(clusters) else -1
            if best >= 0 and float(centroids[best] @ vector) >= CLUSTER_MIN_COSINE:
                cluster = clusters[best]
                merged = embedder.from_bytes(cluster.centroid) * cluster.size + vector
                merged /= np.linalg.norm(merged)
                cluster.centroid, cluster.size = embedder.to_bytes(merged), cluster.size + 1
                centroids[best] = merged
            else:
                cluster = TopicCluster(label=description[:60], centroid=embedder.to_bytes(vector), size=1)
                session.add(cluster)
                session.flush()
                clusters.append(cluster)
                centroids = np.vstack([centroids, vector[None, :]])
            topic, label = f"cluster:{cluster.id}", cluster.label
        session.add(
            TicketTopic(ticket_id=ticket_id, topic=topic, label=label, reported_at=reported_at, assigned_at=now)
        )
    session.flush()
    return len(pending)


@dataclass(frozen=True)
class HotIssue:
    """A topic's share of the window's volume, against its baseline."""

    topic: str
    label: str
    count: int
    share: float
    baseline: float
    is_hot: bool
    is_surging: bool
    examples: list[str] = field(default_factory=list)


def hot_issues(
    session: Session, *, now: datetime, window: timedelta = timedelta(days=1), share_threshold: float = DEFAULT_SHARE
) -> tuple[int, list[HotIssue]]:
    """(volume, topics by count) for the window ending at ``now``."""
    start = now - window
    counts = session.execute(
        select(TicketTopic.topic, func.max(TicketTopic.label), func.count())
        .where(TicketTopic.reported_at > start, TicketTopic.reported_at <= now)
        .group_by(TicketTopic.topic)
    ).all()
    total = sum(count for _, _, count in counts)
    baseline_start = start - window * BASELINE_WINDOWS
    baselines = dict(
        session.execute(
            select(TicketTopic.topic, func.count())
            .where(TicketTopic.reported_at > baseline_start, TicketTopic.reported_at <= start)
            .group_by(TicketTopic.topic)
        ).all()
    )
    has_history = sum(baselines.values()) > 0
    issues = []
    for topic, label, count in sorted(counts, key=lambda row: (-row[2], row[0])):
        share = count / total if total else 0.0
        baseline = baselines.get(topic, 0) / BASELINE_WINDOWS
        # Surging needs a history to surge against: with no requests at all in the baseline windows
        # (a new installation, an import) every topic would look new.
        surging = has_history and count >= SURGE_MIN_COUNT and count > SURGE_FACTOR * max(baseline, 1.0)
        examples = list(
            session.scalars(
                select(Ticket.description)
                .join(TicketTopic, TicketTopic.ticket_id == Ticket.id)
                .where(TicketTopic.topic == topic, TicketTopic.reported_at > start, TicketTopic.reported_at <= now)
                .order_by(Ticket.reported_at.desc())
                .limit(3)
            )
        )
        issues.append(
            HotIssue(
                topic, label, count, round(share, 4), round(baseline, 2), share > share_threshold, surging, examples
            )
        )
    return total, issues


def raise_alerts(
    session: Session, *, clock: Clock, window: timedelta = timedelta(days=1), share_threshold: float = DEFAULT_SHARE
) -> int:
    """One outbox alert per hot or surging topic per window (to every active manager); returns new alerts."""
    now = clock.now()
    total, issues = hot_issues(session, now=now, window=window, share_threshold=share_threshold)
    managers: list[int | None] = list(
        session.scalars(select(User.id).where(User.role == Role.MANAGER, User.is_active.is_(True)))
    )
    window_key = int(now.timestamp() // window.total_seconds())
    messages = []
    for issue in issues:
        if not (issue.is_hot or issue.is_surging):
            continue
        context = {
            "label": issue.label,
            "is_hot": issue.is_hot,
            "share": issue.share,
            "count": issue.count,
            "baseline": issue.baseline,
            "window": window,
            "total": total,
            "examples": issue.examples,
        }
        for manager_id in managers or [None]:
            messages.append(
                notifications_service.NewMessage(
                    kind="hot_issue",
                    dedupe_key=f"hot:{issue.topic}:{window_key}:{manager_id}",
                    context=context,
                    recipient_user_id=manager_id,
                    payload={"topic": issue.topic, "count": issue.count, "share": issue.share, "total": total},
                )
            )
    return notifications_service.enqueue_many(session, clock=clock, messages=messages)
