"""Knowledge API: create (returns id), search shape, customers see customer articles only, suggestions
and "solved by this article" on a ticket."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.core.clock import FrozenClock
from aftersales.knowledge.models import Article, ArticleSolution
from tests import factories
from tests.conftest import UserFactory


def _post(client: TestClient, token: str, **body: object) -> dict[str, object]:
    payload = {
        "title": "指纹识别失败怎么办",
        "body": "清洁指纹头后重新录入。",
        "questions": ["指纹识别不了", "按指纹没反应"],
        "status": "published",
    }
    payload.update(body)
    response = client.post("/api/v1/knowledge/articles", json=payload, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_create_search_and_customer_audience(client: TestClient, make_user: UserFactory) -> None:
    _, agent = make_user(Role.AGENT, username="kagent")
    _, customer = make_user(Role.CUSTOMER, username="kcust", phone="13800138000")
    public = _post(client, agent, product_models=["YL-F3"])
    internal = _post(
        client, agent, title="指纹故障的内部排查话术", questions=["指纹识别不了的内部流程"], audience="agent"
    )
    assert (
        isinstance(public["id"], int)
        and public["version"] == 1
        and public["questions"] == ["指纹识别不了", "按指纹没反应"]
    )
    hits = client.post(
        "/api/v1/knowledge/search",
        json={"query": "指纹不灵了", "limit": 5},
        headers={"Authorization": f"Bearer {agent}"},
    ).json()
    assert {hit["article_id"] for hit in hits} == {public["id"], internal["id"]}
    assert set(hits[0]) == {"article_id", "title", "score", "matched_question"}
    as_customer = client.post(
        "/api/v1/knowledge/search",
        json={"query": "指纹不灵了", "audience": "agent"},
        headers={"Authorization": f"Bearer {customer}"},
    ).json()
    assert [hit["article_id"] for hit in as_customer] == [public["id"]]


def test_bad_article_is_refused_and_nothing_stored(client: TestClient, db: Session, make_user: UserFactory) -> None:
    _, agent = make_user(Role.AGENT, username="kagent2")
    before = db.scalar(select(func.count()).select_from(Article))
    response = client.post(
        "/api/v1/knowledge/articles",
        json={"title": " ", "body": "x", "questions": ["ok", ""]},
        headers={"Authorization": f"Bearer {agent}"},
    )
    assert response.status_code == 422 and {"title", "questions"} <= set(response.json()["fields"])
    assert db.scalar(select(func.count()).select_from(Article)) == before
    _, tech = make_user(Role.TECHNICIAN, username="ktech")
    assert (
        client.post(
            "/api/v1/knowledge/articles", json={"title": "t", "body": "b"}, headers={"Authorization": f"Bearer {tech}"}
        ).status_code
        == 403
    )


def test_suggestions_and_solution_on_a_ticket(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    _, agent = make_user(Role.AGENT, username="kagent3")
    headers = {"Authorization": f"Bearer {agent}"}
    article = _post(client, agent)
    ticket = factories.ticket(db, clock=clock, description="指纹识别不了，按了好多次")
    db.commit()
    suggestions = client.get(f"/api/v1/tickets/{ticket.id}/suggestions", headers=headers).json()
    assert suggestions[0]["article_id"] == article["id"]
    for _ in range(2):  # idempotent
        solved = client.post(
            f"/api/v1/tickets/{ticket.id}/solutions", json={"article_id": article["id"]}, headers=headers
        )
        assert solved.status_code == 201 and solved.json() == {
            "ticket_id": ticket.id,
            "article_id": article["id"],
            "first_contact": True,
        }
    assert db.scalar(select(func.count()).select_from(ArticleSolution)) == 1
    assert db.scalar(select(Article.solved_count).where(Article.id == article["id"])) == 1
