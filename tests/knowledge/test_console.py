"""The customer help page searches published customer articles only; articles are shown as sanitised
Markdown there and in the agent's suggestions on a ticket."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import FrozenClock
from aftersales.knowledge import service
from aftersales.knowledge.enums import ArticleStatus
from aftersales.knowledge.schemas import ArticleCreate
from tests import factories
from tests.conftest import console_login
from tests.factories import knowledge as knowledge_factories


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


def test_articles_are_shown_as_sanitised_markdown_to_customers_and_agents(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    body = "## 应急开门\n用充电宝给**底部 Type-C 口**供电。<script>alert(1)</script>\n\n- 按 # 唤醒\n- 输入密码"
    article = knowledge_factories.article(
        db, clock=clock, title="门锁没电了怎么开门", body=body, questions=["门锁没电了打不开"],
        status=ArticleStatus.PUBLISHED,
    )  # fmt: skip
    agent = factories.user(db, clock=clock, role=Role.AGENT, username="md_agent")
    ticket = factories.ticket(db, clock=clock, description="门锁没电了打不开", phone="13800138011")
    db.commit()
    expected = "<strong>底部 Type-C 口</strong>"
    help_page = client.get("/self-service/help", params={"q": "门锁没电了"}).text
    assert f'data-article="{article.id}"' in help_page
    assert "<h4>应急开门</h4>" in help_page and expected in help_page and "<li>按 # 唤醒</li>" in help_page
    assert "<script>alert" not in help_page and "**" not in help_page
    console_login(client, db, agent.user.username)
    suggestions = client.get(f"/console/tickets/{ticket.id}/suggestions").text
    assert f'<li data-article="{article.id}">' in suggestions
    assert expected in suggestions and "<script>alert" not in suggestions and "## 应急" not in suggestions
