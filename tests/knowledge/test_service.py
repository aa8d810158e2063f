"""Articles, versions, incremental index updates, filters, synonyms, solutions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import FrozenClock
from aftersales.core.errors import ConflictError
from aftersales.knowledge import service
from aftersales.knowledge.enums import ArticleStatus, Audience
from aftersales.knowledge.models import Article, ArticleVersion
from aftersales.knowledge.schemas import ArticleCreate, ArticleUpdate

EDITOR = Actor(user_id=None, username="editor", role=Role.ADMIN)


def _article(db: Session, clock: FrozenClock, **overrides: object) -> Article:
    data: dict[str, object] = {
        "title": "智能锁电池没电了怎么办",
        "body": "用充电宝通过应急供电口供电后开门，再更换 4 节 5 号碱性电池。",
        "questions": ["门锁没电了打不开", "指纹锁低电量提醒", "电池用完了怎么开门"],
        "product_models": ["YL-F3", "YL-S7"],
        "audience": "both",
        "status": "published",
    }
    data.update(overrides)
    return service.create_article(db, clock=clock, actor=EDITOR, data=ArticleCreate.model_validate(data))


@pytest.fixture
def library(db: Session, clock: FrozenClock) -> dict[str, Article]:
    return {
        "battery": _article(db, clock, key="lock-battery"),
        "fingerprint": _article(
            db,
            clock,
            key="lock-fingerprint",
            title="指纹识别失败的处理",
            body="清洁指纹头，重新录入指纹。",
            questions=["指纹识别不了", "按指纹没反应", "指纹开不了门"],
        ),
        "tablet": _article(
            db,
            clock,
            key="tablet-charge",
            title="学习平板充不进电",
            body="换原装充电器和数据线。",
            questions=["平板充不上电", "学习机不充电"],
            product_models=["YL-T10"],
        ),
        "script": _article(
            db,
            clock,
            key="angry-script",
            title="客户情绪激动时的安抚话术",
            body="先道歉，复述问题，给出时间承诺。",
            questions=["客户要投诉怎么安抚", "客户生气骂人怎么办"],
            audience="agent",
        ),
        "draft": _article(
            db,
            clock,
            key="lock-battery-draft",
            title="门锁没电应急开门（草稿）",
            body="草稿内容",
            questions=["门锁没电了打不开怎么办"],
            status="draft",
        ),
    }


def _keys(db: Session, hits: list[object]) -> list[str]:
    return [db.get(Article, hit.article_id).key for hit in hits]  # type: ignore[attr-defined, union-attr]


def test_paraphrases_find_the_right_article(db: Session, library: dict[str, Article]) -> None:
    assert _keys(db, service.search(db, query="锁没电开不了门", limit=1)) == ["lock-battery"]
    assert _keys(db, service.search(db, query="手指按上去没反应", limit=1)) == ["lock-fingerprint"]
    hit = service.search(db, query="学习机充不进去电", limit=1)[0]
    assert hit.title == "学习平板充不进电"
    assert hit.matched_question in {"学习平板充不进电", "平板充不上电", "学习机不充电"}
    assert 0 < hit.score <= 1


def test_drafts_and_agent_only_articles_stay_out_of_customer_results(db: Session, library: dict[str, Article]) -> None:
    for query in ("门锁没电了打不开怎么办", "客户生气骂人怎么办"):
        keys = _keys(db, service.search(db, query=query, audience="customer", limit=10))
        assert "lock-battery-draft" not in keys and "angry-script" not in keys
    assert _keys(db, service.search(db, query="客户生气骂人怎么办", audience="agent", limit=1)) == ["angry-script"]


def test_product_filter_keeps_general_articles(db: Session, library: dict[str, Article]) -> None:
    keys = _keys(db, service.search(db, query="充不进电", product_model="YL-F3", limit=10))
    assert "tablet-charge" not in keys
    assert "tablet-charge" in _keys(db, service.search(db, query="充不进电", product_model="YL-T10", limit=10))


def test_an_edit_reaches_the_index_without_rebuilding_it(
    db: Session, clock: FrozenClock, library: dict[str, Article]
) -> None:
    service.search(db, query="预热", limit=1)
    index = service.refresh_index(db)
    main_before = index.main
    article = library["tablet"]
    service.update_article(
        db,
        clock=clock,
        actor=EDITOR,
        article_id=article.id,
        data=ArticleUpdate(version=1, questions=["平板充不上电", "学习机不充电", "平板屏幕碎了能修吗"]),
    )
    assert _keys(db, service.search(db, query="屏幕摔碎了", limit=1)) == ["tablet-charge"]
    index = service.refresh_index(db)
    assert index.main is main_before and index.delta_ids == {article.id}
    versions = list(db.scalars(select(ArticleVersion.version).where(ArticleVersion.article_id == article.id)))
    assert versions == [1, 2]
    service.archive_article(db, clock=clock, actor=EDITOR, article_id=article.id)
    assert "tablet-charge" not in _keys(db, service.search(db, query="平板充不上电", limit=10))


def test_a_stale_version_changes_nothing(db: Session, clock: FrozenClock, library: dict[str, Article]) -> None:
    article = library["battery"]
    service.update_article(
        db, clock=clock, actor=EDITOR, article_id=article.id, data=ArticleUpdate(version=1, title="新标题")
    )
    with pytest.raises(ConflictError):
        service.update_article(
            db, clock=clock, actor=EDITOR, article_id=article.id, data=ArticleUpdate(version=1, title="另一个")
        )
    assert (article.title, article.version) == ("新标题", 2)
    assert (
        db.scalar(select(func.count()).select_from(ArticleVersion).where(ArticleVersion.article_id == article.id)) == 2
    )


def test_synonyms_expand_queries(db: Session, clock: FrozenClock) -> None:
    _article(
        db,
        clock,
        key="watch-sos",
        title="手表 SOS 求救设置",
        body="在 App 里设置紧急联系人。",
        questions=["手表SOS怎么设置"],
        product_models=[],
    )
    service.set_synonyms(db, clock=clock, term="SOS", synonyms=["求救", "紧急呼叫"])
    assert "sos" in service.synonym_table(db)["紧急呼叫"] or "SOS" in service.synonym_table(db)["紧急呼叫"]
    assert _keys(db, service.search(db, query="紧急呼叫号码在哪改", limit=1)) == ["watch-sos"]


def test_empty_query_is_refused(db: Session) -> None:
    with pytest.raises(Exception, match="搜索内容不能为空"):
        service.search(db, query="   ")


def test_article_status_enum_values() -> None:
    assert [status.value for status in ArticleStatus] == ["draft", "published", "archived"]
    assert [audience.value for audience in Audience] == ["customer", "agent", "both"]
