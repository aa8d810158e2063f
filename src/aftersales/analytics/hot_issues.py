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
ASSIGN_BATCH = 100  # requests per batch: one read-only pass, then one short write
DEFAULT_SHARE = 0.30
SURGE_FACTOR = 3.0
SURGE_MIN_COUNT = 10
BASELINE_WINDOWS = 7


@dataclass(frozen=True)
class TopicAssignment:
    """Where one request goes: an FAQ article, an existing cluster, or a cluster this batch creates."""

    ticket_id: int
    reported_at: datetime
    article: tuple[int, str] | None = None  # (article id, title)
    cluster_id: int | None = None
    new_cluster: int | None = None  # index into TopicWork.new_clusters
    vector: np.ndarray | None = None


@dataclass(frozen=True)
class TopicWork:
    """A batch of topic assignments worked out on a read-only snapshot (``plan_topics``)."""

    assignments: list[TopicAssignment]
    new_clusters: list[str]  # labels of the clusters this batch creates, in order


def plan_topics(session: Session, *, limit: int = ASSIGN_BATCH) -> TopicWork:
    """Work out topics for up to ``limit`` requests without one (newest first). Reads only: runs in a
    read-only transaction, so the search and the sentence encoder never hold the database's writer."""
    pending = session.execute(
        select(Ticket.id, Ticket.description, Ticket.reported_at)
        .outerjoin(TicketTopic, TicketTopic.ticket_id == Ticket.id)
        .where(TicketTopic.ticket_id.is_(None))
        .order_by(Ticket.reported_at.desc())
        .limit(limit)
    ).all()
    articles: dict[int, tuple[int, str]] = {}
    unmatched: list[tuple[int, str, datetime]] = []
    for ticket_id, description, reported_at in pending:
        hits = knowledge_service.search(session, query=description[:500], audience="customer", limit=1)
        if hits and hits[0].score >= ARTICLE_MIN_SCORE:
            articles[ticket_id] = (hits[0].article_id, hits[0].title)
        else:
            unmatched.append((ticket_id, description, reported_at))
    vectors = embedder.encode([description[:500] for _, description, _ in unmatched])  # one batch
    clusters = session.execute(select(TopicCluster.id, TopicCluster.centroid, TopicCluster.size)).all()
    centroids = [embedder.from_bytes(centroid).copy() for _, centroid, _ in clusters]
    sizes = [size for _, _, size in clusters]
    ids: list[int | None] = [cluster_id for cluster_id, _, _ in clusters]
    new_labels: list[str] = []
    placed: dict[int, TopicAssignment] = {}
    for (ticket_id, description, reported_at), vector in zip(unmatched, vectors, strict=True):
        scores = np.vstack(centroids) @ vector if centroids else np.zeros(0, np.float32)
        best = int(np.argmax(scores)) if len(scores) else -1
        if best >= 0 and float(scores[best]) >= CLUSTER_MIN_COSINE:
            merged = centroids[best] * sizes[best] + vector
            centroids[best], sizes[best] = (
                merged / np.linalg.norm(merged),
                sizes[best] + 1,
            )
        else:
            best = len(centroids)
            centroids.append(vector.copy())
            sizes.append(1)
            ids.append(None)
            new_labels.append(description[:60])
        known = ids[best]
        placed[ticket_id] = TopicAssignment(
            ticket_id,
            reported_at,
            cluster_id=known,
            new_cluster=None if known is not None else best - len(clusters),
            vector=vector,
        )
    assignments = [
        placed.get(ticket_id) or TopicAssignment(ticket_id, reported_at, article=articles[ticket_id])
        for ticket_id, _, reported_at in pending
    ]
    return TopicWork(assignments=assignments, new_clusters=new_labels)


def write_topics(session: Session, *, clock: Clock, work: TopicWork) -> int:
    """Store a planned batch in a short write: requests that got a topic meanwhile are skipped, and each
    cluster's centroid takes the vectors added to it as of the stored one (two writers add, never
    overwrite). Returns how many requests were mapped."""
    ids = [item.ticket_id for item in work.assignments]
    if not ids:
        return 0
    taken = set(session.scalars(select(TicketTopic.ticket_id).where(TicketTopic.ticket_id.in_(ids))))
    fresh = [item for item in work.assignments if item.ticket_id not in taken]
    created: dict[int, TopicCluster] = {}
    added: dict[int, list[np.ndarray]] = {}
    for item in fresh:
        if item.new_cluster is not None and item.new_cluster not in created:
            assert item.vector is not None
            cluster = TopicCluster(
                label=work.new_clusters[item.new_cluster],
                centroid=embedder.to_bytes(item.vector),
                size=1,
            )
            session.add(cluster)
            created[item.new_cluster] = cluster
        elif item.vector is not None:
            target = item.cluster_id if item.cluster_id is not None else -1 - (item.new_cluster or 0)
            added.setdefault(target, []).append(item.vector)
    session.flush()
    for target, vectors in added.items():
        # Locked on PostgreSQL: two writers each add their vectors to the stored centroid, in turn.
        stored = session.get(TopicCluster, target, with_for_update=True) if target >= 0 else created[-1 - target]
        if stored is None:
            continue
        merged = embedder.from_bytes(stored.centroid) * stored.size + np.sum(vectors, axis=0)
        stored.centroid = embedder.to_bytes(merged / np.linalg.norm(merged))
        stored.size += len(vectors)
    now = clock.now()
    for item in fresh:
        if item.article is not None:
            topic, label = f"article:{item.article[0]}", item.article[1]
        else:
            found = (
                created[item.new_cluster]
                if item.new_cluster is not None
                else session.get(TopicCluster, item.cluster_id)
            )
            if found is None:
                continue  # its cluster is gone: the next pass maps the request again
            topic, label = f"cluster:{found.id}", found.label
        session.add(
            TicketTopic(
                ticket_id=item.ticket_id,
                topic=topic,
                label=label,
                reported_at=item.reported_at,
                assigned_at=now,
            )
        )
    session.flush()
    return len(fresh)


def assign_topics(session: Session, *, clock: Clock, limit: int = ASSIGN_BATCH) -> int:
    """Map up to ``limit`` requests without a topic yet, in the caller's transaction (one batch)."""
    return write_topics(session, clock=clock, work=plan_topics(session, limit=limit))


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
    session: Session,
    *,
    now: datetime,
    window: timedelta = timedelta(days=1),
    share_threshold: float = DEFAULT_SHARE,
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
            .where(
                TicketTopic.reported_at > baseline_start,
                TicketTopic.reported_at <= start,
            )
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
                .where(
                    TicketTopic.topic == topic,
                    TicketTopic.reported_at > start,
                    TicketTopic.reported_at <= now,
                )
                .order_by(Ticket.reported_at.desc())
                .limit(3)
            )
        )
        issues.append(
            HotIssue(
                topic,
                label,
                count,
                round(share, 4),
                round(baseline, 2),
                share > share_threshold,
                surging,
                examples,
            )
        )
    return total, issues


def raise_alerts(
    session: Session,
    *,
    clock: Clock,
    window: timedelta = timedelta(days=1),
    share_threshold: float = DEFAULT_SHARE,
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
                    payload={
                        "topic": issue.topic,
                        "count": issue.count,
                        "share": issue.share,
                        "total": total,
                    },
                )
            )
    return notifications_service.enqueue_many(session, clock=clock, messages=messages)
