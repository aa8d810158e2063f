"""The 售后辞典: articles and known-issue bulletins, made through the knowledge services."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from aftersales.accounts.schemas import SYSTEM_ACTOR, Actor
from aftersales.core.clock import Clock
from aftersales.knowledge import service as knowledge_service
from aftersales.knowledge.bulletins import service as bulletins_service
from aftersales.knowledge.bulletins.schemas import BulletinCreate
from aftersales.knowledge.enums import ArticleStatus, ArticleType, Audience, BulletinStatus
from aftersales.knowledge.models import Article, Bulletin
from aftersales.knowledge.schemas import ArticleCreate
from tests.factories.common import PRODUCT_MODEL

ARTICLE_BODY = "**原因**：指纹头脏污或手指过干。\n**处理步骤**：\n1. 用干布擦净指纹头\n2. 重新录入指纹"


def article(
    session: Session,
    *,
    clock: Clock,
    title: str = "指纹锁识别失败怎么办",
    body: str = ARTICLE_BODY,
    questions: Sequence[str] = ("指纹识别不了", "手指按了没反应"),
    product_models: Sequence[str] = (PRODUCT_MODEL,),
    status: ArticleStatus = ArticleStatus.DRAFT,
    audience: Audience = Audience.BOTH,
    type: ArticleType = ArticleType.FAQ,
    fault_types: Sequence[str] = (),
    tags: Sequence[str] = (),
    actor: Actor = SYSTEM_ACTOR,
) -> Article:
    """An article (version 1) with its question phrasings."""
    data = ArticleCreate(
        title=title,
        body=body,
        questions=list(questions),
        product_models=list(product_models),
        fault_types=list(fault_types),
        tags=list(tags),
        status=status,
        audience=audience,
        type=type,
    )
    return knowledge_service.create_article(session, clock=clock, actor=actor, data=data)


def bulletin(
    session: Session,
    *,
    clock: Clock,
    title: str = "YL-S7 指纹模块批次故障",
    cause: str = "一批指纹模块固件缺陷",
    workaround: str = "请客户先用密码开锁",
    agent_script: str = "",
    product_models: Sequence[str] = (PRODUCT_MODEL,),
    versions: Sequence[str] = (),
    keywords: Sequence[str] = ("指纹|手指", "识别失败|不识别|失灵"),
    status: BulletinStatus = BulletinStatus.DRAFT,
    expected_fix_at: datetime | None = None,
    actor: Actor = SYSTEM_ACTOR,
) -> Bulletin:
    """A known-issue bulletin (version 1): a draft unless ``status`` says published."""
    data = BulletinCreate(
        title=title,
        cause=cause,
        workaround=workaround,
        agent_script=agent_script,
        product_models=list(product_models),
        versions=list(versions),
        keywords=list(keywords),
        status=status,
        expected_fix_at=expected_fix_at,
    )
    return bulletins_service.create_bulletin(session, clock=clock, actor=actor, data=data)
