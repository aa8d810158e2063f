"""The customer help page searches published customer articles only."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import FrozenClock
from aftersales.knowledge import service
from aftersales.knowledge.schemas import ArticleCreate


def test_help_page_shows_customer_articles_only(client: TestClient, db: Session, clock: FrozenClock) -> None:
    public = service.create_article(
        db,
        clock=clock,
        actor=SYSTEM_ACTOR,
        data=ArticleCreate(
            title="门锁没电了怎么开门", body="用充电宝应急供电。", questions=["门锁没电了"], status="published"
        ),
    )
    internal = service.create_article(
        db,
        clock=clock,
        actor=SYSTEM_ACTOR,
        data=ArticleCreate(
            title="没电开门内部流程", body="内部。", questions=["门锁没电了"], status="published", audience="agent"
        ),
    )
    draft = service.create_article(
        db,
        clock=clock,
        actor=SYSTEM_ACTOR,
        data=ArticleCreate(title="没电草稿", body="草稿。", questions=["门锁没电了"]),
    )
    db.commit()
    page = client.get("/self-service/help", params={"q": "锁没电打不开"})
    assert page.status_code == 200
    assert f'data-article="{public.id}"' in page.text
    assert f'data-article="{internal.id}"' not in page.text and f'data-article="{draft.id}"' not in page.text
    empty = client.get("/self-service/help")
    assert empty.status_code == 200 and "data-article" not in empty.text
