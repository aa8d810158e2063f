"""Saved ticket-list filters (``tickets.saved_filters.service``): kept per user under a unique name, at most
twenty, as a canonical query string; only the owner finds or deletes one; each change audited; refused
input names the field and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.accounts.schemas import SYSTEM_ACTOR, Actor
from aftersales.core.clock import FrozenClock
from aftersales.core.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from aftersales.tickets.saved_filters import service
from aftersales.tickets.saved_filters.models import SavedFilter
from tests.conftest import UserFactory

URGENT = {"priority": "urgent", "status": "", "kind": "", "sla_state": "", "q": ""}


@pytest.fixture
def agent(make_user: UserFactory) -> Actor:
    return make_user(Role.AGENT, username="filter_agent")[0]


@pytest.fixture
def other(make_user: UserFactory) -> Actor:
    return make_user(Role.DISPATCHER, username="filter_other")[0]


def _state(db: Session) -> tuple[list[tuple[Any, ...]], int]:
    """Every saved filter and the number of audit rows (to show a refusal changed nothing)."""
    rows = db.execute(select(SavedFilter.user_id, SavedFilter.name, SavedFilter.query).order_by(SavedFilter.id)).all()
    return [tuple(row) for row in rows], int(db.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def test_a_filter_is_saved_as_a_canonical_query_and_audited(db: Session, clock: FrozenClock, agent: Actor) -> None:
    filters = {"q": " 张三 ", "kind": "repair", "priority": "urgent", "page": "3", "status": ""}
    saved = service.save_filter(db, clock=clock, actor=agent, name="  我的紧急单 ", filters=filters)
    assert (saved.user_id, saved.name, saved.query, saved.created_at) == (
        agent.user_id,
        "我的紧急单",
        "priority=urgent&kind=repair&q=%E5%BC%A0%E4%B8%89",  # in FILTERS order; no page, nothing empty
        clock.now(),
    )
    entry = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert (entry.action, entity(entry), entry.actor_name, entry.before, entry.after) == (
        "ticket_filter.saved",
        ("ticket_filter", str(saved.id)),
        "filter_agent",
        None,
        {"name": "我的紧急单", "query": "priority=urgent&kind=repair&q=%E5%BC%A0%E4%B8%89"},
    )
    assert service.filters_of(saved.query) == {"priority": "urgent", "kind": "repair", "q": "张三"}


def entity(entry: AuditEntry) -> tuple[str, str]:
    return entry.entity_type, entry.entity_id


def test_each_user_sees_only_their_own_filters_by_name(
    db: Session, clock: FrozenClock, agent: Actor, other: Actor
) -> None:
    service.save_filter(db, clock=clock, actor=agent, name="乙 超时", filters={"sla_state": "breached"})
    service.save_filter(db, clock=clock, actor=agent, name="甲 紧急", filters=URGENT)
    service.save_filter(db, clock=clock, actor=other, name="甲 紧急", filters=URGENT)  # the same name: another user
    assert [f.name for f in service.list_filters(db, actor=agent)] == ["乙 超时", "甲 紧急"]  # by code point
    assert [f.name for f in service.list_filters(db, actor=other)] == ["甲 紧急"]
    assert service.list_filters(db, actor=SYSTEM_ACTOR) == []


@pytest.mark.parametrize(
    ("name", "filters", "fields"),
    [
        ("", URGENT, {"name": "请填写筛选名称"}),
        ("   ", URGENT, {"name": "请填写筛选名称"}),
        ("长" * 41, URGENT, {"name": "筛选名称最多 40 个字"}),
        ("我的", {"status": "", "q": "  "}, {"query": "当前没有任何筛选条件：请先筛选或输入搜索词，再保存"}),
        ("我的", {"status": "lost"}, {"query": "筛选条件无效，请重新筛选后再保存"}),
        ("我的", {"q": "长" * 101}, {"query": "筛选条件无效，请重新筛选后再保存"}),
        ("", {}, {"name": "请填写筛选名称", "query": "当前没有任何筛选条件：请先筛选或输入搜索词，再保存"}),
    ],
    ids=["empty", "blank", "too long", "no filter", "unknown status", "term too long", "both"],
)
def test_bad_input_names_the_field_and_saves_nothing(
    db: Session, clock: FrozenClock, agent: Actor, name: str, filters: dict[str, str], fields: dict[str, str]
) -> None:
    before = _state(db)
    with pytest.raises(InvalidInputError) as refused:
        service.save_filter(db, clock=clock, actor=agent, name=name, filters=filters)
    assert (refused.value.code, {key: str(value) for key, value in refused.value.fields.items()}) == (
        "ticket_filter.invalid",
        fields,
    )
    assert _state(db) == before


def test_a_duplicate_name_is_refused_and_changes_nothing(db: Session, clock: FrozenClock, agent: Actor) -> None:
    service.save_filter(db, clock=clock, actor=agent, name="我的紧急单", filters=URGENT)
    before = _state(db)
    with pytest.raises(InvalidInputError) as refused:
        service.save_filter(db, clock=clock, actor=agent, name=" 我的紧急单", filters={"kind": "repair"})
    assert refused.value.fields == {"name": "已有同名的筛选，请换一个名称"}
    assert _state(db) == before


def test_at_most_twenty_per_user(db: Session, clock: FrozenClock, agent: Actor, other: Actor) -> None:
    for n in range(service.MAX_PER_USER):
        service.save_filter(db, clock=clock, actor=agent, name=f"筛选{n:02d}", filters={"q": f"词{n}"})
    before = _state(db)
    with pytest.raises(InvalidInputError) as refused:
        service.save_filter(db, clock=clock, actor=agent, name="第二十一个", filters=URGENT)
    assert {key: str(value) for key, value in refused.value.fields.items()} == {
        "name": "最多保存 20 个筛选，请先删除不用的"
    }
    assert _state(db) == before
    assert service.save_filter(db, clock=clock, actor=other, name="第二十一个", filters=URGENT).user_id == other.user_id


def test_only_a_signed_in_user_saves_filters(db: Session, clock: FrozenClock) -> None:
    before = _state(db)
    with pytest.raises(PermissionDeniedError):
        service.save_filter(db, clock=clock, actor=SYSTEM_ACTOR, name="系统", filters=URGENT)
    assert _state(db) == before


def test_the_owner_deletes_a_filter_and_it_is_audited(db: Session, clock: FrozenClock, agent: Actor) -> None:
    saved = service.save_filter(db, clock=clock, actor=agent, name="我的紧急单", filters=URGENT)
    kept = service.save_filter(db, clock=clock, actor=agent, name="报修", filters={"kind": "repair"})
    saved_id = saved.id
    service.delete_filter(db, clock=clock, actor=agent, filter_id=saved_id)
    assert [f.id for f in service.list_filters(db, actor=agent)] == [kept.id]
    entry = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert (entry.action, entity(entry), entry.actor_name, entry.before, entry.after) == (
        "ticket_filter.deleted",
        ("ticket_filter", str(saved_id)),
        "filter_agent",
        {"name": "我的紧急单", "query": "priority=urgent"},
        None,
    )


def test_another_users_filter_is_not_found_and_stays(
    db: Session, clock: FrozenClock, agent: Actor, other: Actor
) -> None:
    saved = service.save_filter(db, clock=clock, actor=agent, name="我的紧急单", filters=URGENT)
    before = _state(db)
    for attempt in (
        lambda: service.get_filter(db, actor=other, filter_id=saved.id),
        lambda: service.delete_filter(db, clock=clock, actor=other, filter_id=saved.id),
        lambda: service.delete_filter(db, clock=clock, actor=agent, filter_id=saved.id + 1000),
    ):
        with pytest.raises(NotFoundError) as missing:
            attempt()
        assert missing.value.code == "ticket_filter.not_found"
    assert _state(db) == before
    assert service.get_filter(db, actor=agent, filter_id=saved.id).name == "我的紧急单"
