"""Read models of the knowledge console: articles found by text, state, kind and product (with their
count, for paging), and what changed between two snapshots of an article or a bulletin's history (what
an editor is shown when someone else saved first). Reads only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from aftersales.knowledge.enums import ArticleStatus, ArticleType
from aftersales.knowledge.models import Article, ArticleQuestion


@dataclass(frozen=True)
class ArticlePage:
    """One page of articles and how many match in all."""

    items: list[Article]
    total: int


def find_articles(
    session: Session,
    *,
    text: str = "",
    status: ArticleStatus | None = None,
    article_type: ArticleType | None = None,
    product_model: str = "",
    limit: int = 25,
    offset: int = 0,
) -> ArticlePage:
    """Articles whose title, key, body or a question contains ``text``, newest change first; ``product_model``
    keeps those for that model (or for every product)."""
    query = select(Article).order_by(Article.updated_at.desc(), Article.id.desc())
    if status is not None:
        query = query.where(Article.status == status)
    if article_type is not None:
        query = query.where(Article.type == article_type)
    wanted = text.strip()
    if wanted:
        asked = select(ArticleQuestion.article_id).where(ArticleQuestion.text.icontains(wanted, autoescape=True))
        query = query.where(
            or_(
                Article.title.icontains(wanted, autoescape=True),
                Article.key.icontains(wanted, autoescape=True),
                Article.body.icontains(wanted, autoescape=True),
                Article.id.in_(asked),
            )
        )
    rows = list(session.scalars(query))
    model = product_model.strip().upper()
    if model:
        # Filtered here, not in SQL: JSON list containment differs between SQLite and PostgreSQL, and the
        # 售后辞典 holds hundreds of articles, not millions.
        rows = [row for row in rows if not row.product_models or model in {m.upper() for m in row.product_models}]
    return ArticlePage(items=rows[offset : offset + limit], total=len(rows))


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The fields whose values differ between two snapshots, in the order of ``after``."""
    return [name for name, value in after.items() if before.get(name) != value]
