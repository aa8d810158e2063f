"""Saving, listing and deleting a user's ticket-list filters. Only the owner sees or deletes a filter (any
other id is "not found"); bad input raises ``InvalidInputError`` naming the field and changes nothing.
Flushes, never commits."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.models import User
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from aftersales.core.i18n import N_, Message
from aftersales.sla.enums import SlaState
from aftersales.tickets.enums import Priority, TicketKind, TicketStatus
from aftersales.tickets.saved_filters.models import SavedFilter

MAX_PER_USER = 20
MAX_NAME = 40
MAX_TERM = 100  # as the list's own ``q``
# The ticket list's filters, in the order a saved query string names them (None: free text).
FILTERS: dict[str, type[StrEnum] | None] = {
    "status": TicketStatus,
    "priority": Priority,
    "kind": TicketKind,
    "sla_state": SlaState,
    "q": None,
}
NAME_MISSING = N_("请填写筛选名称")
NAME_TOO_LONG = N_("筛选名称最多 %(max)s 个字")
NAME_TAKEN = N_("已有同名的筛选，请换一个名称")
TOO_MANY = N_("最多保存 %(max)s 个筛选，请先删除不用的")
NOTHING_TO_SAVE = N_("当前没有任何筛选条件：请先筛选或输入搜索词，再保存")
BAD_FILTER = N_("筛选条件无效，请重新筛选后再保存")
INVALID = N_("筛选未保存，请按提示修改")


def list_filters(session: Session, *, actor: Actor) -> list[SavedFilter]:
    """The actor's saved filters, by name (code point order, the same on every database)."""
    if actor.user_id is None:
        return []
    found = session.scalars(select(SavedFilter).where(SavedFilter.user_id == actor.user_id))
    return sorted(found, key=lambda saved: saved.name)


def get_filter(session: Session, *, actor: Actor, filter_id: int) -> SavedFilter:
    """One of the actor's filters; another user's (or a missing) one is ``NotFoundError``."""
    found = session.scalar(select(SavedFilter).where(SavedFilter.id == filter_id, SavedFilter.user_id == actor.user_id))
    if found is None:
        raise NotFoundError(N_("筛选 %(id)s 不存在"), {"id": filter_id}, code="ticket_filter.not_found")
    return found


def query_string(filters: Mapping[str, str | None]) -> str:
    """The canonical query string of ``filters``: the list's filters that have a value, in ``FILTERS`` order
    (other keys are left out), so the same filter set always reads the same."""
    pairs = [(key, (filters.get(key) or "").strip()) for key in FILTERS]
    return urlencode([(key, value) for key, value in pairs if value])


def filters_of(query: str) -> dict[str, str]:
    """The filters a saved query string names (key → value, in ``FILTERS`` order)."""
    given = dict(parse_qsl(query))
    return {key: given[key] for key in FILTERS if given.get(key)}


def _checked_query(filters: Mapping[str, str | None]) -> tuple[str | None, str | None]:
    """(query string, None), or (None, the problem with the filters)."""
    for key, enum in FILTERS.items():
        value = (filters.get(key) or "").strip()
        if not value:
            continue
        if enum is None:
            if len(value) > MAX_TERM:
                return None, BAD_FILTER
        elif value not in {member.value for member in enum}:
            return None, BAD_FILTER
    query = query_string(filters)
    return (query, None) if query else (None, NOTHING_TO_SAVE)


def save_filter(
    session: Session, *, clock: Clock, actor: Actor, name: str, filters: Mapping[str, str | None]
) -> SavedFilter:
    """Keep ``filters`` (the list's status, priority, kind, SLA state and search term) under ``name`` for
    the actor. Refused, naming the field, when the name is empty, too long or already one of theirs, when
    they have ``MAX_PER_USER`` already, or when there is nothing (or nothing valid) to keep."""
    if actor.user_id is None:
        raise PermissionDeniedError(N_("只有登录的用户可以保存筛选"), code="ticket_filter.no_user")
    problems: dict[str, Any] = {}
    label = name.strip()
    if not label:
        problems["name"] = NAME_MISSING
    elif len(label) > MAX_NAME:
        problems["name"] = Message(NAME_TOO_LONG, {"max": MAX_NAME})
    query, problem = _checked_query(filters)
    if problem:
        problems["query"] = problem
    if not problems:
        # The user's row is locked so two saves at once cannot both pass the name and count checks.
        session.execute(select(User.id).where(User.id == actor.user_id).with_for_update())
        mine = select(SavedFilter).where(SavedFilter.user_id == actor.user_id)
        if session.scalar(mine.where(SavedFilter.name == label).limit(1)) is not None:
            problems["name"] = NAME_TAKEN
        elif (session.scalar(select(func.count()).select_from(mine.subquery())) or 0) >= MAX_PER_USER:
            problems["name"] = Message(TOO_MANY, {"max": MAX_PER_USER})
    if problems:
        raise InvalidInputError(INVALID, code="ticket_filter.invalid", fields=problems)
    assert query is not None
    saved = SavedFilter(user_id=actor.user_id, name=label, query=query, created_at=clock.now())
    session.add(saved)
    session.flush()
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="ticket_filter.saved",
        entity_type="ticket_filter",
        entity_id=saved.id,
        after={"name": saved.name, "query": saved.query},
    )
    session.flush()
    return saved


def delete_filter(session: Session, *, clock: Clock, actor: Actor, filter_id: int) -> None:
    """Delete one of the actor's filters (another user's is ``NotFoundError``, and stays)."""
    saved = get_filter(session, actor=actor, filter_id=filter_id)
    before = {"name": saved.name, "query": saved.query}
    session.delete(saved)
    session.flush()
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="ticket_filter.deleted",
        entity_type="ticket_filter",
        entity_id=filter_id,
        before=before,
    )
    session.flush()
