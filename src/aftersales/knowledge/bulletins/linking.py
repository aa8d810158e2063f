"""Linking tickets to bulletins: automatically at intake (``link_new_ticket``, on the hot path) and by
hand. Each link is a row plus a ``bulletin`` event on the ticket's timeline. Flushes, never commits.

Intake is kept cheap: the published bulletins' cues are compiled once and cached per process for
``CACHE_TTL_SECONDS`` (edits through the service invalidate it at once in this process, within that
time in the others); a ticket whose product no published bulletin affects is not even tokenised."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.schemas import SYSTEM_ACTOR, Actor
from aftersales.core.clock import Clock
from aftersales.core.i18n import N_
from aftersales.knowledge.bulletins import matching
from aftersales.knowledge.enums import EVENT_OWNER, BulletinStatus, KnowledgeEventType, LinkMethod
from aftersales.knowledge.errors import BulletinNotFoundError, InvalidBulletinError
from aftersales.knowledge.models import Bulletin, BulletinTicket, Synonym
from aftersales.tickets import events as ticket_events
from aftersales.tickets import service as tickets_service
from aftersales.tickets.models import Ticket

ticket_events.register_event_types(EVENT_OWNER, KnowledgeEventType)

CACHE_TTL_SECONDS = 5.0
_cache_lock = threading.Lock()
_cache: tuple[float, list[matching.BulletinCues]] | None = None


def invalidate_cache() -> None:
    """Forget the cached cues (after a bulletin or synonym change; tests)."""
    global _cache
    with _cache_lock:
        _cache = None


def _synonyms(session: Session) -> dict[str, tuple[str, ...]]:
    table: dict[str, set[str]] = {}
    for term, aliases in session.execute(select(Synonym.term, Synonym.synonyms)):
        group = {term, *aliases}
        for word in group:
            table.setdefault(word, set()).update(group - {word})
    return {word: tuple(sorted(others)) for word, others in table.items()}


def published_cues(session: Session) -> list[matching.BulletinCues]:
    """The compiled cues of every published bulletin (cached)."""
    global _cache
    now = time.monotonic()
    with _cache_lock:
        if _cache is not None and now - _cache[0] < CACHE_TTL_SECONDS:
            return _cache[1]
    rows = session.execute(
        select(
            Bulletin.id, Bulletin.title, Bulletin.cause, Bulletin.product_models, Bulletin.versions, Bulletin.keywords
        )
        .where(Bulletin.status == BulletinStatus.PUBLISHED)
        .order_by(Bulletin.id)
    ).all()
    synonyms = _synonyms(session) if rows else {}
    compiled = [
        matching.compile_cues(
            bulletin_id=row.id,
            title=row.title,
            cause=row.cause,
            product_models=row.product_models,
            versions=row.versions,
            keywords=row.keywords,
            synonyms=synonyms,
        )
        for row in rows
    ]
    with _cache_lock:
        _cache = (now, compiled)
    return compiled


def _link(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    ticket: Ticket,
    bulletin: Bulletin,
    how: LinkMethod,
    score: float | None,
) -> BulletinTicket:
    link = BulletinTicket(
        bulletin_id=bulletin.id,
        ticket_id=ticket.id,
        matched_at=clock.now(),
        score=score,
        how=how,
        linked_by=actor.username,
    )
    session.add(link)
    tickets_service.record_event(
        session,
        clock=clock,
        actor=actor,
        ticket=ticket,
        event_type=KnowledgeEventType.BULLETIN,
        note=f"{bulletin.number} {bulletin.title}",
        data={
            "bulletin_id": bulletin.id,
            "number": bulletin.number,
            "how": str(how),
            "score": score,
            "note_key": "bulletin.linked",
            "note_params": {"number": bulletin.number, "title": bulletin.title},
        },
    )
    return link


def link_new_ticket(
    session: Session, *, clock: Clock, ticket_id: int, product_model: str | None, description: str
) -> list[int]:
    """Link a just-registered ticket to every published bulletin it matches; returns their ids."""
    cues = published_cues(session)
    if not cues:
        return []
    model = matching.normalise_model(product_model) if product_model else None
    candidates = [c for c in cues if not c.product_models or model is None or model in c.product_models]
    if not candidates:
        return []
    text = matching.prepare_text(description)
    scores: dict[int, float] = {}
    for candidate in candidates:
        score = matching.match(candidate, product_model=product_model, text=text)
        if score is not None:
            scores[candidate.bulletin_id] = score
    if not scores:
        return []
    # The cache may be a few seconds behind: link only bulletins that are still published.
    bulletins = session.scalars(
        select(Bulletin)
        .where(Bulletin.id.in_(list(scores)), Bulletin.status == BulletinStatus.PUBLISHED)
        .order_by(Bulletin.id)
    ).all()
    if not bulletins:
        return []
    ticket = tickets_service.get_ticket(session, ticket_id)
    for bulletin in bulletins:
        _link(
            session,
            clock=clock,
            actor=SYSTEM_ACTOR,
            ticket=ticket,
            bulletin=bulletin,
            how=LinkMethod.AUTO,
            score=scores[bulletin.id],
        )
    session.flush()
    return [bulletin.id for bulletin in bulletins]


def link_ticket(
    session: Session, *, clock: Clock, actor: Actor, bulletin_id: int, ticket_id: int
) -> tuple[BulletinTicket, bool]:
    """Link a ticket by hand (idempotent); returns (link, created)."""
    ticket = tickets_service.get_ticket(session, ticket_id, actor=actor)
    bulletin = session.get(Bulletin, bulletin_id)
    if bulletin is None:
        raise BulletinNotFoundError(N_("已知问题 %(bulletin)s 不存在"), {"bulletin": bulletin_id})
    existing = session.scalar(
        select(BulletinTicket).where(BulletinTicket.bulletin_id == bulletin_id, BulletinTicket.ticket_id == ticket_id)
    )
    if existing is not None:
        return existing, False
    if bulletin.status != BulletinStatus.PUBLISHED:
        raise InvalidBulletinError(
            N_("只能关联已发布的已知问题"), code="bulletin.not_published", fields={"bulletin_id": bulletin_id}
        )
    link = _link(session, clock=clock, actor=actor, ticket=ticket, bulletin=bulletin, how=LinkMethod.MANUAL, score=None)
    session.flush()
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="bulletin.linked",
        entity_type="ticket",
        entity_id=ticket.id,
        after={"bulletin_id": bulletin.id, "how": str(LinkMethod.MANUAL)},
    )
    return link, True


def bulletins_for_ticket(session: Session, ticket_id: int) -> list[Bulletin]:
    """The bulletins a ticket is linked to, by id."""
    return list(
        session.scalars(
            select(Bulletin)
            .join(BulletinTicket, BulletinTicket.bulletin_id == Bulletin.id)
            .where(BulletinTicket.ticket_id == ticket_id)
            .order_by(Bulletin.id)
        )
    )


def ticket_ids_of(session: Session, bulletin_id: int) -> list[int]:
    """The tickets linked to a bulletin, by id."""
    return list(
        session.scalars(
            select(BulletinTicket.ticket_id)
            .where(BulletinTicket.bulletin_id == bulletin_id)
            .order_by(BulletinTicket.ticket_id)
        )
    )


def link_counts(session: Session, bulletin_ids: list[int]) -> dict[int, int]:
    """How many tickets each bulletin is linked to (its affected count); bulletins without links → 0."""
    if not bulletin_ids:
        return {}
    rows = session.execute(
        select(BulletinTicket.bulletin_id, func.count())
        .where(BulletinTicket.bulletin_id.in_(bulletin_ids))
        .group_by(BulletinTicket.bulletin_id)
    ).all()
    counts = dict.fromkeys(bulletin_ids, 0)
    counts.update({bulletin_id: int(count) for bulletin_id, count in rows})
    return counts


def linked_tickets(session: Session, bulletin_id: int, *, limit: int = 200) -> list[tuple[BulletinTicket, Ticket]]:
    """The bulletin's links with their tickets, most recently linked first."""
    rows = session.execute(
        select(BulletinTicket, Ticket)
        .join(Ticket, Ticket.id == BulletinTicket.ticket_id)
        .where(BulletinTicket.bulletin_id == bulletin_id)
        .order_by(BulletinTicket.matched_at.desc(), BulletinTicket.id.desc())
        .limit(limit)
    ).all()
    return [(link, ticket) for link, ticket in rows]
