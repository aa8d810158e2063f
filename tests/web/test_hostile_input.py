"""Hostile input gets a 4xx and changes nothing: ids and offsets beyond 64 bits, NUL characters, bodies
over the size limit."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.tickets.models import Ticket
from tests.conftest import UserFactory, ticket_body

HUGE = 2**63


def _headers(make_user: UserFactory) -> dict[str, str]:
    _, token = make_user(Role.AGENT)
    return {"Authorization": f"Bearer {token}"}


def test_ids_and_offsets_beyond_64_bits_are_refused_with_the_field_named(
    client: TestClient, make_user: UserFactory
) -> None:
    headers = _headers(make_user)
    for path, field in (
        (f"/api/v1/tickets/{HUGE}", "ticket_id"),
        (f"/api/v1/tickets?offset={HUGE}", "offset"),
        (f"/api/v1/compensations?ticket_id={HUGE}", "ticket_id"),
        (f"/api/v1/visits?ticket_id={HUGE}", "ticket_id"),
    ):
        reply = client.get(path, headers=headers)
        assert (reply.status_code, reply.json()["code"], list(reply.json()["fields"])) == (
            422,
            "request.invalid",
            [field],
        ), path
    edit = client.patch("/api/v1/tickets/1", json={"version": HUGE, "description": "x"}, headers=headers)
    assert (edit.status_code, list(edit.json()["fields"])) == (422, ["version"])


def test_nul_characters_are_refused_before_anything_is_written(
    client: TestClient, db: Session, make_user: UserFactory
) -> None:
    headers = _headers(make_user)
    body = ticket_body(description="指纹锁坏了\u0000")
    refused = client.post("/api/v1/tickets", json=body, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (422, "request.nul_character")
    query = client.get("/api/v1/tickets?q=%00", headers=headers)
    assert (query.status_code, query.json()["code"]) == (422, "request.nul_character")
    assert db.scalar(select(func.count()).select_from(Ticket)) == 0


def test_a_body_over_the_limit_is_refused_with_413(client: TestClient, db: Session, make_user: UserFactory) -> None:
    headers = _headers(make_user)
    limit = client.app.state.settings.max_body_bytes  # type: ignore[attr-defined]
    body = ticket_body(description="锁" * 100)
    padded = client.post(
        "/api/v1/tickets",
        content=b'{"pad": "' + b"x" * limit + b'"}',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert (padded.status_code, padded.json()["code"]) == (413, "request.too_large")
    assert db.scalar(select(func.count()).select_from(Ticket)) == 0
    assert client.post("/api/v1/tickets", json=body, headers=headers).status_code == 201


def test_a_body_that_does_not_parse_and_an_unknown_path_answer_problem_json(
    client: TestClient, make_user: UserFactory
) -> None:
    headers = {**_headers(make_user), "Content-Type": "application/json"}
    broken = client.post("/api/v1/tickets", content=b"\xff\xfe{", headers=headers)  # not even UTF-8
    truncated = client.post("/api/v1/tickets", content=b'{"channel": ', headers=headers)
    unknown = client.get("/api/v1/no-such-thing", headers=headers)
    assert [(r.status_code, r.json()["code"]) for r in (broken, truncated, unknown)] == [
        (400, "request.malformed"),
        (422, "request.invalid"),
        (404, "request.no_such_path"),
    ]
    assert broken.json()["detail"] == "请求内容无法解析（须为合法的 JSON 或表单）"
