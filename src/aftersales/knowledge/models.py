"""Knowledge tables: articles, their question phrasings (with embeddings), versions, synonyms, which
article solved which ticket, and known-issue bulletins with their versions and linked tickets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aftersales.core.db import Base, EnumText, JSONType, UTCDateTime
from aftersales.knowledge.enums import ArticleStatus, ArticleType, Audience, BulletinStatus, LinkMethod


class Article(Base):
    """One entry of the 售后辞典."""

    __tablename__ = "knowledge_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    type: Mapped[ArticleType] = mapped_column(EnumText(ArticleType, 16))
    audience: Mapped[Audience] = mapped_column(EnumText(Audience, 16))
    status: Mapped[ArticleStatus] = mapped_column(EnumText(ArticleStatus, 16), index=True)
    product_models: Mapped[list[str]] = mapped_column(JSONType, default=list)
    fault_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    version: Mapped[int] = mapped_column(default=1)
    # Bumped from a shared counter on every change: search indexes catch up from the last one they saw.
    index_seq: Mapped[int] = mapped_column(index=True)
    solved_count: Mapped[int] = mapped_column(default=0)
    title_embedding: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(64))

    questions: Mapped[list[ArticleQuestion]] = relationship(
        back_populates="article", cascade="all, delete-orphan", order_by="ArticleQuestion.position"
    )


class ArticleQuestion(Base):
    """A way a customer or agent asks for the article, with its precomputed sentence embedding."""

    __tablename__ = "knowledge_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_articles.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    text: Mapped[str] = mapped_column(String(500))
    embedding: Mapped[bytes] = mapped_column(LargeBinary)

    article: Mapped[Article] = relationship(back_populates="questions")


class ArticleVersion(Base):
    """The article as it was after each change (append-only history)."""

    __tablename__ = "knowledge_article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_articles.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_by: Mapped[str] = mapped_column(String(64))


class IndexCounter(Base):
    """The one-row counter behind ``Article.index_seq``."""

    __tablename__ = "knowledge_index_counter"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class Synonym(Base):
    """A search term and the words that mean the same (editable; applied to queries)."""

    __tablename__ = "knowledge_synonyms"

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(String(64), unique=True)
    synonyms: Mapped[list[str]] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ArticleSolution(Base):
    """ "Solved by this article": counts toward first-contact resolution and the article's usefulness."""

    __tablename__ = "knowledge_solutions"
    __table_args__ = (UniqueConstraint("ticket_id", "article_id"), Index("ix_knowledge_solutions_at", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_articles.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_name: Mapped[str] = mapped_column(String(64))
    first_contact: Mapped[bool] = mapped_column(default=False)


class Bulletin(Base):
    """A known issue (已知问题): cause, affected products and versions, cues that match new tickets,
    workaround and agent script, who is told; ``version`` guards concurrent edits."""

    __tablename__ = "knowledge_bulletins"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    cause: Mapped[str] = mapped_column(Text)
    product_models: Mapped[list[str]] = mapped_column(JSONType, default=list)
    versions: Mapped[list[str]] = mapped_column(JSONType, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[BulletinStatus] = mapped_column(EnumText(BulletinStatus, 16), index=True)
    expected_fix_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fix_note: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    workaround: Mapped[str] = mapped_column(Text)
    agent_script: Mapped[str] = mapped_column(Text, default="")
    departments: Mapped[list[str]] = mapped_column(JSONType, default=list)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(64))


class BulletinVersion(Base):
    """The bulletin as it was after each change (append-only history)."""

    __tablename__ = "knowledge_bulletin_versions"
    __table_args__ = (UniqueConstraint("bulletin_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("knowledge_bulletins.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_by: Mapped[str] = mapped_column(String(64))


class BulletinTicket(Base):
    """A ticket linked to a bulletin: matched at intake (with its score) or linked by hand."""

    __tablename__ = "knowledge_bulletin_tickets"
    __table_args__ = (UniqueConstraint("bulletin_id", "ticket_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("knowledge_bulletins.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime())
    score: Mapped[float | None] = mapped_column(Float)
    how: Mapped[LinkMethod] = mapped_column(EnumText(LinkMethod, 16))
    linked_by: Mapped[str] = mapped_column(String(64))
