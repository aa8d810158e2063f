"""The 售后辞典's synonyms on screen: the list (with a search), a new term, changing a term's synonyms as last
seen, removing a term after a confirmation. Bad input is shown by its field and changes nothing; roles that
may not manage the knowledge base are refused; every change is in the audit trail and reaches search."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import FrozenClock
from aftersales.knowledge import service, synonyms
from aftersales.knowledge.models import Synonym
from tests import factories
from tests.conftest import console_login


def _signed_in(client: TestClient, db: Session, clock: FrozenClock, role: Role) -> str:
    made = factories.user(db, clock=clock, role=role, username=f"syn_{role.value}")
    db.commit()
    return console_login(client, db, made.user.username)


def _state(db: Session) -> tuple[Any, ...]:
    """Every term as stored, and how long the audit trail is."""
    db.expire_all()
    rows = db.execute(select(Synonym.id, Synonym.term, Synonym.synonyms).order_by(Synonym.id)).all()
    return tuple(tuple(row) for row in rows), db.scalar(select(func.count()).select_from(AuditEntry))


def _audits(db: Session) -> list[tuple[Any, ...]]:
    db.expire_all()
    rows = db.execute(
        select(AuditEntry.action, AuditEntry.entity_type, AuditEntry.entity_id, AuditEntry.actor_name,
               AuditEntry.before, AuditEntry.after)
        .where(AuditEntry.entity_type == "synonym").order_by(AuditEntry.id)
    ).all()  # fmt: skip
    return [tuple(row) for row in rows]


def _field_error(page: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', page)
    assert match is not None, field
    return match.group(1)


def _term(db: Session, clock: FrozenClock, term: str, words: list[str]) -> Synonym:
    return service.set_synonyms(db, clock=clock, term=term, synonyms=words, actor=SYSTEM_ACTOR)


def test_an_agent_adds_a_term_and_finds_it_in_the_list(client: TestClient, db: Session, clock: FrozenClock) -> None:
    _term(db, clock, "智能锁", ["门锁", "指纹锁"])
    csrf = _signed_in(client, db, clock, Role.AGENT)
    page = client.get("/console/knowledge/synonyms")
    assert page.status_code == 200
    assert '<tr data-term="智能锁">' in page.text and "<td>门锁、指纹锁</td>" in page.text
    assert "词条（共 1 个）" in page.text and '<label for="term">词条</label>' in page.text
    data = {"csrf_token": csrf, "term": " 热水器 ", "synonyms": "燃气热水器\n电热水器、热水器，燃热 | 电热水器"}
    created = client.post("/console/knowledge/synonyms", data=data, follow_redirects=False)
    assert created.status_code == 303 and created.headers["location"] == "/console/knowledge/synonyms?done=created"
    row = db.scalars(select(Synonym).where(Synonym.term == "热水器")).one()
    assert row.synonyms == ["燃气热水器", "电热水器", "燃热"]  # the term itself and repeats dropped
    assert _audits(db)[-1] == (
        "knowledge.synonyms_set", "synonym", str(row.id), "syn_agent", None,
        {"term": "热水器", "synonyms": ["燃气热水器", "电热水器", "燃热"]},
    )  # fmt: skip
    assert service.synonym_table(db)["燃热"] == ("热水器", "燃气热水器", "电热水器")
    listed = client.get("/console/knowledge/synonyms?done=created").text
    assert "词条已添加" in listed and "词条（共 2 个）" in listed
    found = client.get("/console/knowledge/synonyms", params={"q": "燃气"}).text
    assert '<tr data-term="热水器">' in found and 'data-term="智能锁"' not in found
    none = client.get("/console/knowledge/synonyms", params={"q": "冰箱"}).text
    assert "没有包含“冰箱”的词条。" in none
    assert 'href="/console/knowledge/synonyms">同义词</a>' in client.get("/console/knowledge").text


@pytest.mark.parametrize(
    ("fields", "field", "text", "status"),
    [
        ({"term": "  "}, "term", "请填写词条", 422),
        ({"term": "锁" * 65}, "term", "词条不能超过 64 个字", 422),
        ({"term": "智能锁"}, "term", "该词条已存在，请在列表中编辑", 409),
        ({"synonyms": "热水器、 ,"}, "synonyms", "至少需要一个与词条不同的同义词", 422),
        ({"synonyms": "热" * 65}, "synonyms", "每个同义词不能超过 64 个字", 422),
        ({"synonyms": "、".join(f"词{i}" for i in range(51))}, "synonyms", "同义词不能超过 50 个", 422),
    ],
)
def test_a_bad_term_is_shown_by_its_field_and_changes_nothing(
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    fields: dict[str, str],
    field: str,
    text: str,
    status: int,
) -> None:
    _term(db, clock, "智能锁", ["门锁"])
    csrf = _signed_in(client, db, clock, Role.MANAGER)
    before = _state(db)
    data = {"csrf_token": csrf, "term": "热水器", "synonyms": "燃热"} | fields
    refused = client.post("/console/knowledge/synonyms", data=data)
    assert refused.status_code == status
    assert _field_error(refused.text, field) == text
    assert f'id="{field}"' in refused.text and 'aria-invalid="true"' in refused.text
    if field == "term":
        assert ">燃热</textarea>" in refused.text  # what was typed is kept
    assert _state(db) == before


def test_editing_keeps_what_was_typed_when_someone_else_saved_first(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    row = _term(db, clock, "智能锁", ["门锁"])
    row_id, seen = row.id, synonyms.fingerprint(row)
    csrf = _signed_in(client, db, clock, Role.ADMIN)
    page = client.get(f"/console/knowledge/synonyms/{row_id}").text
    assert "<h1>编辑同义词：智能锁</h1>" in page
    assert ">门锁</textarea>" in page and f'name="fingerprint" value="{seen}"' in page
    saved = client.post(
        f"/console/knowledge/synonyms/{row_id}",
        data={"csrf_token": csrf, "synonyms": "门锁\n电子锁", "fingerprint": seen},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/console/knowledge/synonyms?done=saved"
    assert _audits(db)[-1] == (
        "knowledge.synonyms_set", "synonym", str(row_id), "syn_admin",
        {"synonyms": ["门锁"]}, {"term": "智能锁", "synonyms": ["门锁", "电子锁"]},
    )  # fmt: skip

    before = _state(db)
    stale = client.post(
        f"/console/knowledge/synonyms/{row_id}", data={"csrf_token": csrf, "synonyms": "我的版本", "fingerprint": seen}
    )
    assert stale.status_code == 409 and "该词条已被他人修改，请查看最新内容后再保存" in stale.text
    current = synonyms.fingerprint(db.get(Synonym, row_id))  # type: ignore[arg-type]
    assert ">我的版本</textarea>" in stale.text and f'name="fingerprint" value="{current}"' in stale.text
    bad = client.post(
        f"/console/knowledge/synonyms/{row_id}", data={"csrf_token": csrf, "synonyms": "智能锁", "fingerprint": current}
    )
    assert bad.status_code == 422 and _field_error(bad.text, "synonyms") == "至少需要一个与词条不同的同义词"
    same = client.post(
        f"/console/knowledge/synonyms/{row_id}",
        data={"csrf_token": csrf, "synonyms": "门锁、电子锁", "fingerprint": current},
        follow_redirects=False,
    )
    assert same.headers["location"] == "/console/knowledge/synonyms?done=unchanged"
    assert _state(db) == before
    assert client.get("/console/knowledge/synonyms/987654").status_code == 404


def test_a_term_is_removed_after_confirmation_and_searches_forget_it(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    row = _term(db, clock, "智能锁", ["门锁", "电子锁"])
    row_id, seen = row.id, synonyms.fingerprint(row)
    assert service.synonym_table(db)["门锁"] == ("智能锁", "电子锁")
    csrf = _signed_in(client, db, clock, Role.ADMIN)
    confirm = client.get(f"/console/knowledge/synonyms/{row_id}/delete").text
    assert "确定删除这个词条吗？" in confirm and "删除后，搜索“智能锁”不再同时查找：门锁、电子锁。" in confirm
    before = _state(db)
    stale = client.post(f"/console/knowledge/synonyms/{row_id}/delete", data={"csrf_token": csrf, "fingerprint": "x"})
    assert stale.status_code == 409 and _state(db) == before
    gone = client.post(
        f"/console/knowledge/synonyms/{row_id}/delete",
        data={"csrf_token": csrf, "fingerprint": seen},
        follow_redirects=False,
    )
    assert gone.status_code == 303 and gone.headers["location"] == "/console/knowledge/synonyms?done=deleted"
    assert db.get(Synonym, row_id) is None and service.synonym_table(db) == {}
    assert _audits(db)[-1] == (
        "knowledge.synonyms_deleted", "synonym", str(row_id), "syn_admin",
        {"term": "智能锁", "synonyms": ["门锁", "电子锁"]}, None,
    )  # fmt: skip
    assert "词条已删除" in client.get("/console/knowledge/synonyms?done=deleted").text
    assert client.post(f"/console/knowledge/synonyms/{row_id}/delete", data={"csrf_token": csrf}).status_code == 404


def test_roles_that_may_not_manage_the_knowledge_base_are_refused(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    row = _term(db, clock, "智能锁", ["门锁"])
    csrf = _signed_in(client, db, clock, Role.DISPATCHER)  # reads the knowledge base, does not edit it
    before = _state(db)
    for path in ("/console/knowledge/synonyms", f"/console/knowledge/synonyms/{row.id}"):
        assert client.get(path).status_code == 403
    data = {"csrf_token": csrf, "term": "热水器", "synonyms": "燃热"}
    assert client.post("/console/knowledge/synonyms", data=data).status_code == 403
    assert client.post(f"/console/knowledge/synonyms/{row.id}/delete", data={"csrf_token": csrf}).status_code == 403
    articles = client.get("/console/knowledge").text
    assert 'href="/console/knowledge/synonyms"' not in articles
    assert _state(db) == before
