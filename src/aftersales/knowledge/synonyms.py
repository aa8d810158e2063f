"""The 售后辞典's synonyms as people edit them on screen: the list, a new term, changing a term's synonyms as
last seen (a fingerprint of what the form showed) and removing a term. Saving goes through
``service.set_synonyms`` (audited ``knowledge.synonyms_set``, searches pick it up at once); removing is
audited ``knowledge.synonyms_deleted``. Every problem is named by its field. Flushes, never commits."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.i18n import N_
from aftersales.knowledge import service
from aftersales.knowledge.errors import (
    InvalidSynonymError,
    SynonymChangedError,
    SynonymExistsError,
    SynonymNotFoundError,
)
from aftersales.knowledge.models import Synonym

MAX_TERM = 64  # the column's width
MAX_WORD = 64
MAX_WORDS = 50


def list_synonyms(session: Session, *, text: str = "") -> list[Synonym]:
    """Every term with its synonyms, by term; ``text`` keeps the terms it occurs in (term or a synonym)."""
    rows = list(session.scalars(select(Synonym).order_by(Synonym.term)))
    wanted = text.strip().lower()
    if not wanted:
        return rows
    # Filtered here, not in SQL: JSON lists are searched differently by SQLite and PostgreSQL, and the
    # table holds a few hundred terms.
    return [row for row in rows if any(wanted in word.lower() for word in (row.term, *row.synonyms))]


def get_synonym(session: Session, synonym_id: int) -> Synonym:
    """One term by id."""
    row = session.get(Synonym, synonym_id)
    if row is None:
        raise SynonymNotFoundError(N_("同义词条 %(id)s 不存在"), {"id": synonym_id})
    return row


def fingerprint(row: Synonym) -> str:
    """A term's synonyms in a short string: a form sends it back to show what it was drawn from."""
    text = json.dumps([row.term, list(row.synonyms)], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _checked(term: str, synonyms: list[str]) -> tuple[str, list[str]]:
    problems: dict[str, str] = {}
    term = term.strip()
    words = list(dict.fromkeys(word.strip() for word in synonyms if word.strip() and word.strip() != term))
    if not term:
        problems["term"] = N_("请填写词条")
    elif len(term) > MAX_TERM:
        problems["term"] = N_("词条不能超过 64 个字")
    if not words:
        problems["synonyms"] = N_("至少需要一个与词条不同的同义词")
    elif any(len(word) > MAX_WORD for word in words):
        problems["synonyms"] = N_("每个同义词不能超过 64 个字")
    elif len(words) > MAX_WORDS:
        problems["synonyms"] = N_("同义词不能超过 50 个")
    if problems:
        raise InvalidSynonymError(N_("同义词有误，请按提示修改"), fields=problems)
    return term, words


def add_synonyms(session: Session, *, clock: Clock, actor: Actor, term: str, synonyms: list[str]) -> Synonym:
    """A new term with its synonyms; a term that exists already is refused (it is edited instead)."""
    term, words = _checked(term, synonyms)
    if session.scalar(select(Synonym.id).where(Synonym.term == term)) is not None:
        raise SynonymExistsError(
            N_("词条 %(term)s 已存在"), {"term": term}, fields={"term": N_("该词条已存在，请在列表中编辑")}
        )
    return service.set_synonyms(session, clock=clock, term=term, synonyms=words, actor=actor)


def change_synonyms(
    session: Session, *, clock: Clock, actor: Actor, synonym_id: int, synonyms: list[str], expected: str | None
) -> tuple[Synonym, bool]:
    """Replace a term's synonyms as the form saw them (``expected``, its fingerprint); whether it changed."""
    row = get_synonym(session, synonym_id)
    if expected is not None and expected != fingerprint(row):
        raise SynonymChangedError(N_("该词条已被他人修改，请查看最新内容后再保存"))
    _, words = _checked(row.term, synonyms)
    if words == list(row.synonyms):
        return row, False
    return service.set_synonyms(session, clock=clock, term=row.term, synonyms=words, actor=actor), True


def delete_synonyms(session: Session, *, clock: Clock, actor: Actor, synonym_id: int, expected: str | None) -> None:
    """Remove a term and its synonyms (searches stop widening with them at once)."""
    row = get_synonym(session, synonym_id)
    if expected is not None and expected != fingerprint(row):
        raise SynonymChangedError(N_("该词条已被他人修改，请查看最新内容后再保存"))
    before = {"term": row.term, "synonyms": list(row.synonyms)}
    session.delete(row)
    service.touch_index(session)
    session.flush()
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="knowledge.synonyms_deleted",
        entity_type="synonym",
        entity_id=synonym_id,
        before=before,
    )
