"""The 售后辞典 editor: finding articles, writing one (Markdown preview included), changing it over a
concurrent save (409 keeps what was typed and shows what changed), publishing, unpublishing, deleting
with confirmation (archived, restorable) and the history. Bad input is shown by its field and changes
nothing; staff who may only read get no editing."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.core.clock import FrozenClock
from aftersales.knowledge import service
from aftersales.knowledge.enums import ArticleStatus, ArticleType, Audience
from aftersales.knowledge.models import Article, ArticleVersion
from aftersales.knowledge.schemas import ArticleUpdate
from tests.conftest import UserFactory, console_login
from tests.factories import knowledge as knowledge_factories

FORM = {
    "title": "门锁没电了怎么开门",
    "type": "faq",
    "audience": "customer",
    "body": "## 应急\n用充电宝从**底部**接口供电。\n\n| 型号 | 接口 |\n|--|--|\n| YL-S7 | Type-C |",
    "questions": "门锁没电了\n 锁没电打不开 \n\n门锁没电了",
    "product_models": "YL-S7， YL-F3、YL-S7",
    "fault_types": "battery_low",
    "tags": "电池 应急",
}


def _field_error(page: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', page)
    assert match is not None, field
    return match.group(1)


def _audits(db: Session, action: str) -> list[tuple[str, str, str]]:
    rows = db.execute(
        select(AuditEntry.action, AuditEntry.entity_id, AuditEntry.actor_name)
        .where(AuditEntry.action == action)
        .order_by(AuditEntry.id)
    ).all()
    return [tuple(row) for row in rows]


def _count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Article)) or 0


def test_the_list_finds_articles_by_text_state_kind_and_product(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.DISPATCHER, username="kb_reader")
    lock = knowledge_factories.article(db, clock=clock, status=ArticleStatus.PUBLISHED)
    script = knowledge_factories.article(
        db, clock=clock, title="投诉安抚话术", body="先致歉。", questions=["客户很生气"], product_models=[],
        type=ArticleType.SCRIPT, audience=Audience.AGENT,
    )  # fmt: skip
    tablet = knowledge_factories.article(
        db, clock=clock, title="学习机充不进电", body="换原装充电器。", questions=["平板充不上电"], product_models=["YL-T10"]
    )  # fmt: skip
    db.commit()
    console_login(client, db, "kb_reader")
    everything = client.get("/console/knowledge")
    assert everything.status_code == 200
    assert re.findall(r'<tr data-article="(\d+)">', everything.text) == [str(tablet.id), str(script.id), str(lock.id)]
    assert "（共 3 篇）" in everything.text
    assert "新建文章" not in everything.text  # a dispatcher reads, does not edit

    def found(**params: str) -> list[str]:
        return re.findall(r'<tr data-article="(\d+)">', client.get("/console/knowledge", params=params).text)

    assert found(q="按了没反应") == [str(lock.id)]  # a question phrasing
    assert found(q="充电器") == [str(tablet.id)]  # the body
    assert found(status="published") == [str(lock.id)]
    assert found(type="script") == [str(script.id)]
    assert found(product="yl-t10") == [str(tablet.id), str(script.id)]  # an article for every product matches too
    assert found(q="100%_没有") == []
    assert found(status="nonsense") == [str(tablet.id), str(script.id), str(lock.id)]  # unknown filters: ignored
    assert client.get("/console/knowledge/new").status_code == 403
    assert client.get(f"/console/knowledge/{lock.id}").status_code == 200


def test_an_agent_writes_an_article_and_publishes_it_at_once(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="kb_agent")
    csrf = console_login(client, db, "kb_agent")
    form = client.get("/console/knowledge/new")
    assert form.status_code == 200
    assert '<label for="f-body">' in form.text and 'hx-post="/console/knowledge/preview"' in form.text
    reply = client.post(
        "/console/knowledge/new", data={**FORM, "csrf_token": csrf, "status": "published"}, follow_redirects=False
    )
    assert reply.status_code == 303
    article = db.scalars(select(Article)).one()
    assert reply.headers["location"] == f"/console/knowledge/{article.id}?done=created"
    assert (article.title, article.status, article.type, article.audience, article.updated_by) == (
        "门锁没电了怎么开门", "published", "faq", "customer", "kb_agent",
    )  # fmt: skip
    assert [q.text for q in article.questions] == ["门锁没电了", "锁没电打不开"]
    assert (article.product_models, article.fault_types, article.tags) == (
        ["YL-S7", "YL-F3"],
        ["battery_low"],
        ["电池", "应急"],
    )
    assert _audits(db, "knowledge.created") == [("knowledge.created", str(article.id), "kb_agent")]
    shown = client.get(reply.headers["location"]).text
    assert '<p class="flash" role="status">文章已创建</p>' in shown
    assert "<h4>应急</h4>" in shown and "<strong>底部</strong>" in shown and "<td>Type-C</td>" in shown
    assert 'data-status="published"' in shown


def test_the_preview_renders_the_body_sanitised_and_changes_nothing(
    client: TestClient, db: Session, make_user: UserFactory
) -> None:
    make_user(Role.MANAGER, username="kb_manager")
    csrf = console_login(client, db, "kb_manager")
    preview = client.post(
        "/console/knowledge/preview",
        data={"csrf_token": csrf, "body": "**粗体** <script>alert(1)</script>\n\n- 一\n- 二"},
        headers={"HX-Request": "true"},
    )
    assert preview.status_code == 200
    assert preview.text.strip() == (
        '<div class="markdown" data-preview><p><strong>粗体</strong> </p>\n<ul>\n<li>一</li>\n<li>二</li>\n</ul>\n</div>'
    )
    empty = client.post("/console/knowledge/preview", data={"csrf_token": csrf, "body": ""})
    assert "正文为空" in empty.text
    assert _count(db) == 0


def test_bad_input_is_shown_by_field_keeps_what_was_typed_and_saves_nothing(
    client: TestClient, db: Session, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="kb_agent")
    csrf = console_login(client, db, "kb_agent")
    bad = {
        **FORM,
        "csrf_token": csrf,
        "title": "   ",
        "body": "正文<保留>",
        "questions": "\n".join(f"问法{n}" for n in range(51)),
        "audience": "everyone",
    }
    reply = client.post("/console/knowledge/new", data=bad)
    assert reply.status_code == 422
    assert _field_error(reply.text, "title") == "不能为空"
    assert _field_error(reply.text, "questions") == "最多 50 项"
    assert _field_error(reply.text, "audience") == "请选择有效的选项"
    assert "正文&lt;保留&gt;</textarea>" in reply.text and "问法50</textarea>" in reply.text
    assert _count(db) == 0 and _audits(db, "knowledge.created") == []


def test_a_concurrent_save_is_refused_keeping_the_typed_text_and_showing_what_changed(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    other, _ = make_user(Role.MANAGER, username="kb_other")
    make_user(Role.AGENT, username="kb_agent")
    article = knowledge_factories.article(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "kb_agent")
    form = client.get(f"/console/knowledge/{article.id}/edit")
    assert '<input type="hidden" name="version" value="1">' in form.text
    assert 'value="指纹锁识别失败怎么办"' in form.text and "指纹识别不了\n手指按了没反应</textarea>" in form.text
    # Someone else saves first.
    service.update_article(
        db, clock=clock, actor=other, article_id=article.id,
        data=ArticleUpdate(version=1, title="指纹识别失败的处理", product_models=["YL-S7", "YL-P1"]),
    )  # fmt: skip
    db.commit()
    mine = {
        **FORM,
        "csrf_token": csrf,
        "version": "1",
        "title": "指纹锁识别失败怎么办",
        "body": "我的新正文",
        "questions": "指纹识别不了",
        "product_models": "YL-S7",
    }
    refused = client.post(f"/console/knowledge/{article.id}/edit", data=mine)
    assert refused.status_code == 409
    assert "文章已被他人修改（当前版本 2），请刷新后重试" in refused.text
    assert "我的新正文</textarea>" in refused.text  # what the agent typed is still there
    assert '<input type="hidden" name="version" value="2">' in refused.text
    assert re.findall(r'<dt data-field="(\w+)">', refused.text) == ["title", "product_models"]
    assert '<dd class="pre-line">指纹识别失败的处理</dd>' in refused.text
    assert '<dd class="pre-line">YL-S7、YL-P1</dd>' in refused.text
    assert "kb_other 于 2026-11-22 10:00 保存了第 2 版" in refused.text
    db.expire_all()
    kept = db.get(Article, article.id)
    assert kept is not None and (kept.version, kept.title, kept.body) == (
        2,
        "指纹识别失败的处理",
        knowledge_factories.ARTICLE_BODY,
    )
    # Saving again, having seen the other change, is a decision: it goes through.
    again = client.post(f"/console/knowledge/{article.id}/edit", data={**mine, "version": "2"}, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == f"/console/knowledge/{article.id}?done=saved"
    db.expire_all()
    saved = db.get(Article, article.id)
    assert saved is not None and (saved.version, saved.title, saved.body, saved.audience) == (
        3, "指纹锁识别失败怎么办", "我的新正文", "customer",
    )  # fmt: skip
    assert [row[2] for row in _audits(db, "knowledge.updated")] == ["kb_other", "kb_agent"]
    same = client.post(f"/console/knowledge/{article.id}/edit", data={**mine, "version": "3"}, follow_redirects=False)
    assert same.headers["location"] == f"/console/knowledge/{article.id}?done=unchanged"
    stale_page = client.post(f"/console/knowledge/{article.id}/edit", data={**mine, "version": "x"})
    assert stale_page.status_code == 422 and "页面已过期，请刷新后重试" in stale_page.text


def test_publish_unpublish_delete_with_confirmation_and_restore(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.ADMIN, username="kb_admin")
    article = knowledge_factories.article(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "kb_admin")
    path = f"/console/knowledge/{article.id}/status"

    def act(action: str, version: int, **extra: str) -> object:
        return client.post(path, data={"csrf_token": csrf, "action": action, "version": str(version), **extra},
                           follow_redirects=False)  # fmt: skip

    def status() -> tuple[str, int]:
        db.expire_all()
        stored = db.get(Article, article.id)
        assert stored is not None
        return str(stored.status), stored.version

    page = client.get(f"/console/knowledge/{article.id}").text
    assert 'value="publish"' in page and 'value="archive"' in page and 'value="unpublish"' not in page
    assert act("publish", 1).headers["location"] == f"/console/knowledge/{article.id}?done=publish"  # type: ignore[attr-defined]
    assert status() == ("published", 2)
    refused = act("publish", 2)
    assert refused.status_code == 422 and "文章当前状态不能执行该操作" in refused.text  # type: ignore[attr-defined]
    stale = act("unpublish", 1)
    assert stale.status_code == 409 and "文章已被他人修改（当前版本 2）" in stale.text  # type: ignore[attr-defined]
    assert status() == ("published", 2)
    assert act("unpublish", 2).status_code == 303  # type: ignore[attr-defined]
    unconfirmed = act("archive", 3)
    assert unconfirmed.status_code == 422 and "删除前请确认" in unconfirmed.text  # type: ignore[attr-defined]
    assert status() == ("draft", 3)
    assert act("archive", 3, confirm="yes").status_code == 303  # type: ignore[attr-defined]
    assert status() == ("archived", 4)
    archived = client.get(f"/console/knowledge/{article.id}?done=archive").text
    assert "文章已删除（归档）" in archived and 'value="restore"' in archived and "/edit" not in archived
    assert act("restore", 4).status_code == 303  # type: ignore[attr-defined]
    assert status() == ("draft", 5)
    assert len(_audits(db, "knowledge.updated")) == 4
    versions = client.get(f"/console/knowledge/{article.id}/versions").text
    assert re.findall(r'<li data-version="(\d+)">', versions) == ["5", "4", "3", "2", "1"]
    assert versions.count("修改了：状态") == 4


def test_a_reader_cannot_change_an_article(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.INSPECTOR, username="kb_inspector")
    article = knowledge_factories.article(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "kb_inspector")
    page = client.get(f"/console/knowledge/{article.id}")
    assert page.status_code == 200 and 'action="/console/knowledge/' not in page.text
    refused = client.post(
        f"/console/knowledge/{article.id}/status", data={"csrf_token": csrf, "action": "publish", "version": "1"}
    )
    assert refused.status_code == 403
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(ArticleVersion)) == 1
