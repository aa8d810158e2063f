"""Knowledge use cases: articles with versions and question embeddings, synonyms, search, and
"solved by this article". Flushes, never commits."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from aftersales.accounts import service as accounts_service
from aftersales.accounts.schemas import SYSTEM_ACTOR, Actor
from aftersales.core.clock import Clock
from aftersales.core.i18n import N_
from aftersales.knowledge import embedder, tokens
from aftersales.knowledge.enums import ArticleStatus
from aftersales.knowledge.errors import ArticleExistsError, ArticleNotFoundError, InvalidArticleError
from aftersales.knowledge.index import ArticleDoc, Hit, SearchIndex
from aftersales.knowledge.models import Article, ArticleQuestion, ArticleSolution, ArticleVersion, IndexCounter, Synonym
from aftersales.knowledge.schemas import ArticleCreate, ArticleUpdate
from aftersales.tickets import service as tickets_service
from aftersales.tickets.models import TicketEvent

_SLUG = re.compile(r"[^a-z0-9]+")


def _next_seq(session: Session) -> int:
    counter = session.get(IndexCounter, 1, with_for_update=True)
    if counter is None:
        counter = IndexCounter(id=1, value=0)
        session.add(counter)
    counter.value += 1
    session.flush()
    return counter.value


def _snapshot(article: Article) -> dict[str, Any]:
    return {
        "title": article.title,
        "body": article.body,
        "questions": [question.text for question in article.questions],
        "product_models": list(article.product_models),
        "fault_types": list(article.fault_types),
        "tags": list(article.tags),
        "audience": str(article.audience),
        "status": str(article.status),
        "type": str(article.type),
    }


def _set_questions(article: Article, questions: list[str]) -> None:
    """Replace the question phrasings; only new texts are encoded (unchanged ones keep their vectors)."""
    kept = {question.text: question for question in article.questions}
    new_texts = [text for text in questions if text not in kept]
    vectors = dict(zip(new_texts, embedder.encode(new_texts), strict=True))
    article.questions = [
        kept[text]
        if text in kept
        else ArticleQuestion(position=0, text=text, embedding=embedder.to_bytes(vectors[text]))
        for text in questions
    ]
    for position, question in enumerate(article.questions):
        question.position = position


def get_article(session: Session, article_id: int) -> Article:
    """An article with its questions."""
    article = session.get(Article, article_id, options=[selectinload(Article.questions)])
    if article is None:
        raise ArticleNotFoundError(N_("文章 %(article)s 不存在"), {"article": article_id})
    return article


def create_article(session: Session, *, clock: Clock, actor: Actor, data: ArticleCreate) -> Article:
    """Create an article (version 1) and put it in the search index's next refresh."""
    now = clock.now()
    key = data.key or _unique_key(session, data.title)
    if session.scalar(select(Article.id).where(Article.key == key)) is not None:
        raise ArticleExistsError(N_("文章标识 %(key)s 已存在"), {"key": key}, fields={"key": key})
    article = Article(
        key=key,
        title=data.title,
        body=data.body,
        type=data.type,
        audience=data.audience,
        status=data.status,
        product_models=list(data.product_models),
        fault_types=list(data.fault_types),
        tags=list(data.tags),
        version=1,
        index_seq=_next_seq(session),
        created_at=now,
        updated_at=now,
        updated_by=actor.username,
        title_embedding=embedder.to_bytes(embedder.encode([data.title])[0]),
    )
    _set_questions(article, data.questions)
    session.add(article)
    session.flush()
    session.add(
        ArticleVersion(
            article_id=article.id, version=1, snapshot=_snapshot(article), changed_at=now, changed_by=actor.username
        )
    )
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="knowledge.created",
        entity_type="article",
        entity_id=article.id,
        after={"key": key},
    )
    return article


def _unique_key(session: Session, title: str) -> str:
    base = _SLUG.sub("-", title.lower()).strip("-") or "article"
    count = session.scalar(select(func.count()).select_from(Article)) or 0
    return f"{base[:60]}-{count + 1}" if base != "article" else f"article-{count + 1}"


def update_article(session: Session, *, clock: Clock, actor: Actor, article_id: int, data: ArticleUpdate) -> Article:
    """Change an article; a stale version is refused; the old state stays in the history."""
    article = get_article(session, article_id)
    if article.version != data.version:
        raise ArticleExistsError(
            N_("文章已被他人修改（当前版本 %(version)s），请刷新后重试"),
            {"version": article.version},
            code="knowledge.version_conflict",
        )
    before = _snapshot(article)
    for name in ("title", "body", "product_models", "fault_types", "tags", "audience", "status", "type"):
        value = getattr(data, name)
        if value is not None:
            setattr(article, name, list(value) if isinstance(value, list) else value)
    if data.questions is not None:
        _set_questions(article, data.questions)
    if data.title is not None and data.title != before["title"]:
        article.title_embedding = embedder.to_bytes(embedder.encode([article.title])[0])
    after = _snapshot(article)
    if after == before:
        return article
    now = clock.now()
    article.version += 1
    article.updated_at = now
    article.updated_by = actor.username
    article.index_seq = _next_seq(session)
    session.flush()
    session.add(
        ArticleVersion(
            article_id=article.id, version=article.version, snapshot=after, changed_at=now, changed_by=actor.username
        )
    )
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="knowledge.updated",
        entity_type="article",
        entity_id=article.id,
        before={key: value for key, value in before.items() if after[key] != value},
        after={key: value for key, value in after.items() if before[key] != value},
    )
    return article


def archive_article(session: Session, *, clock: Clock, actor: Actor, article_id: int) -> Article:
    """Take an article out of use (kept with its history)."""
    article = get_article(session, article_id)
    return update_article(
        session,
        clock=clock,
        actor=actor,
        article_id=article_id,
        data=ArticleUpdate(version=article.version, status=ArticleStatus.ARCHIVED),
    )


def versions_of(session: Session, article_id: int) -> list[ArticleVersion]:
    """An article's history, oldest first."""
    get_article(session, article_id)
    return list(
        session.scalars(
            select(ArticleVersion).where(ArticleVersion.article_id == article_id).order_by(ArticleVersion.version)
        )
    )


def list_articles(
    session: Session, *, status: ArticleStatus | None = None, limit: int = 50, offset: int = 0
) -> list[Article]:
    """Articles, newest change first."""
    query = (
        select(Article).options(selectinload(Article.questions)).order_by(Article.updated_at.desc(), Article.id.desc())
    )
    if status is not None:
        query = query.where(Article.status == status)
    return list(session.scalars(query.limit(limit).offset(offset)))


# --- synonyms ----------------------------------------------------------------------------------------


def set_synonyms(
    session: Session, *, clock: Clock, term: str, synonyms: list[str], actor: Actor = SYSTEM_ACTOR
) -> Synonym:
    """Create or replace a synonym row (bumps the index so searches pick it up); audited as ``actor``
    (the system for the import command)."""
    term = term.strip()
    cleaned = [word.strip() for word in synonyms if word.strip() and word.strip() != term]
    if not term or not cleaned:
        raise InvalidArticleError(N_("同义词需要一个词条和至少一个同义词"), fields={"term": term})
    row = session.scalar(select(Synonym).where(Synonym.term == term))
    before = None if row is None else {"synonyms": list(row.synonyms)}
    if row is None:
        row = Synonym(term=term, synonyms=cleaned, updated_at=clock.now())
        session.add(row)
    else:
        row.synonyms, row.updated_at = cleaned, clock.now()
    _next_seq(session)
    session.flush()
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="knowledge.synonyms_set",
        entity_type="synonym",
        entity_id=row.id,
        before=before,
        after={"term": term, "synonyms": cleaned},
    )
    return row


def touch_index(session: Session) -> None:
    """Make every process re-read the index and the synonyms at its next search (after a synonym is removed)."""
    _next_seq(session)


def synonym_table(session: Session) -> dict[str, tuple[str, ...]]:
    """word → words to add to a query containing it (both directions, tokenised)."""
    table: dict[str, set[str]] = {}
    for row in session.scalars(select(Synonym)):
        group = {row.term, *row.synonyms}
        for word in group:
            table.setdefault(word, set()).update(group - {word})
    return {word: tuple(sorted(aliases)) for word, aliases in table.items()}


# --- search ------------------------------------------------------------------------------------------


@dataclass
class _State:
    index: SearchIndex
    synonyms: dict[str, tuple[str, ...]]


_state = _State(SearchIndex(), {})
_state_lock = threading.Lock()


def _article_docs(session: Session, condition: Any) -> list[ArticleDoc]:
    articles = list(session.scalars(select(Article).options(selectinload(Article.questions)).where(condition)))
    return [
        ArticleDoc(
            article_id=article.id,
            title=article.title,
            status=str(article.status),
            audience=str(article.audience),
            product_models=tuple(article.product_models),
            questions=tuple(
                (question.text, tokens.tokens(question.text), embedder.from_bytes(question.embedding))
                for question in article.questions
            ),
            title_tokens=tokens.tokens(article.title),
            title_vector=embedder.from_bytes(article.title_embedding),
        )
        for article in articles
    ]


def refresh_index(session: Session) -> SearchIndex:
    """Bring the process's index up to date: only articles changed since it last looked are re-read."""
    current = session.scalar(select(IndexCounter.value).where(IndexCounter.id == 1)) or 0
    with _state_lock:
        index = _state.index
        if current == index.seq:
            return index
        if index.seq < 0 or index.needs_rebuild:
            index.rebuild(_article_docs(session, Article.index_seq <= current), current)
        else:
            changed = _article_docs(session, Article.index_seq > index.seq)
            index.apply(changed, removed=(), seq=current)
        _state.synonyms = synonym_table(session)
        return index


def reset_index() -> None:
    """Forget the in-memory index (tests; a new database)."""
    with _state_lock:
        _state.index = SearchIndex()
        _state.synonyms = {}


def search(
    session: Session, *, query: str, product_model: str | None = None, audience: str | None = None, limit: int = 5
) -> list[Hit]:
    """Published articles for a question, best first (hybrid lexical + semantic ranking)."""
    text = query.strip()
    if not text:
        problem = N_("搜索内容不能为空")
        raise InvalidArticleError(problem, fields={"query": problem})
    index = refresh_index(session)
    query_tokens = tokens.tokens(text, _state.synonyms)
    vector = embedder.encode([text])[0]
    return index.search(query_tokens, vector, audience=audience, product_model=product_model, limit=limit)


def suggestions_for_ticket(session: Session, *, actor: Actor, ticket_id: int, limit: int = 5) -> list[Hit]:
    """Top articles for a ticket's description (and product), for the agent."""
    ticket = tickets_service.get_ticket(session, ticket_id, actor=actor)
    return search(session, query=ticket.description, product_model=ticket.product_model, audience="agent", limit=limit)


def record_solution(
    session: Session, *, clock: Clock, actor: Actor, ticket_id: int, article_id: int
) -> ArticleSolution:
    """ "Solved by this article": once per ticket and article; first contact if no field visit happened."""
    ticket = tickets_service.get_ticket(session, ticket_id, actor=actor)
    article = get_article(session, article_id)
    if article.status != ArticleStatus.PUBLISHED:
        raise InvalidArticleError(N_("只能引用已发布的文章"), fields={"article_id": article_id})
    existing = session.scalar(
        select(ArticleSolution).where(ArticleSolution.ticket_id == ticket_id, ArticleSolution.article_id == article_id)
    )
    if existing is not None:
        return existing
    contacts = session.scalar(
        select(func.count())
        .select_from(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.type.in_(["check_in", "progress", "hold", "reopen"]))
    )
    solution = ArticleSolution(
        ticket_id=ticket.id,
        article_id=article.id,
        at=clock.now(),
        actor_name=actor.username,
        first_contact=not contacts,
    )
    session.add(solution)
    session.execute(update(Article).where(Article.id == article.id).values(solved_count=Article.solved_count + 1))
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="knowledge.solved",
        entity_type="ticket",
        entity_id=ticket.id,
        after={"article_id": article.id},
    )
    session.flush()
    return solution
