"""Every route against every role, generated from the policy table (accounts.policy).

Each route of the app declares its gate: ``allowed(permission)`` on the JSON API, ``page(permission)`` in the
console, ``CheckedInHandler(permission)`` where the handler checks inside its own transaction, or
``anyone(purpose)`` for what is open without signing in. A route without exactly one gate fails here, so a new
route cannot ship unguarded. Then each role (and a caller who is not signed in) calls every route, and the
answer must be what the table says: refused by the gate exactly when the role's cell is empty (or is "own"
where the route needs "all"), never refused by it otherwise. There is no list of exceptions.

Ids in paths name rows that do not exist: a role that passes the gate gets 404 or 422, not the resource.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, _IncludedRouter
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from aftersales.accounts import policy
from aftersales.accounts.deps import Allowed, Anyone, CheckedInHandler, Page
from aftersales.accounts.enums import Role
from aftersales.app import create_app
from aftersales.config import Settings
from aftersales.core.clock import FrozenClock
from aftersales.web.pages import CSRF_HEADER
from tests.conftest import UserFactory, console_login, ticket_body

Gate = Allowed | Page | CheckedInHandler | Anyone
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
CUSTOMER_PHONE = "13911112222"
# A value for every path parameter the app uses; a new name fails test_every_route_is_gated_once.
PATH_VALUES = {
    "ticket_id": "987654",
    "attachment_id": "987654",
    "article_id": "987654",
    "bulletin_id": "987654",
    "visit_id": "987654",
    "promise_id": "987654",
    "inspection_id": "987654",
    "rectification_id": "987654",
    "compensation_id": "987654",
    "flag_id": "987654",
    "decision": "approve",
    "username": "nobody-here",
    "organisation_code": "NOWHERE",
    "priority": "no-such-priority",
    "calendar_code": "no-such-calendar",
    "user_id": "987654",
    "organisation_id": "987654",
    "phone": "13900000000",
    "token": "not-a-survey-token",
    "name": "no-such-rule",
    "number": "T00000000",
    "fmt": "xlsx",
    "rule_id": "987654",
    "version": "987654",
    "synonym_id": "987654",
    "filter_id": "987654",
}


def _routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, _IncludedRouter):
            yield from _routes(route.original_router.routes)
        elif isinstance(route, APIRoute):
            yield route


def _gates(dependant: Dependant) -> Iterator[Gate]:
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, Allowed | Page | CheckedInHandler | Anyone):
            yield dependency.call
        yield from _gates(dependency)


def _cases(settings: Settings) -> list[tuple[str, str, Gate]]:
    app = create_app(settings)
    cases = []
    for route in _routes(app.routes):
        gates = list(dict.fromkeys(_gates(route.dependant)))
        assert len(gates) == 1, f"{sorted(route.methods)} {route.path}: gates {gates}"
        for method in sorted(route.methods - {"HEAD"}):
            cases.append((method, route.path, gates[0]))
    return cases


@pytest.fixture
def matrix_settings(settings: Settings) -> Settings:
    # The matrix signs in and posts to the login and self-service forms many times within one frozen minute.
    return settings.model_copy(
        update={
            "rate_limit_login_per_minute": 0,
            "rate_limit_self_service_per_minute": 0,
            "rate_limit_lookup_per_minute": 0,
            "rate_limit_survey_per_minute": 0,
        }
    )


@pytest.fixture
def matrix_client(
    matrix_settings: Settings, clock: FrozenClock, session_factory: sessionmaker[Session]
) -> Iterator[TestClient]:
    with TestClient(create_app(matrix_settings, clock=clock, session_factory=session_factory)) as client:
        yield client


def test_every_route_is_gated_once_and_every_path_value_is_known(settings: Settings) -> None:
    cases = _cases(settings)
    names = {name for _, path, _ in cases for name in re.findall(r"{(\w+)}", path)}
    assert names - set(PATH_VALUES) == set()
    assert len(cases) >= 127
    purposes = {gate.purpose for _, _, gate in cases if isinstance(gate, Anyone)}
    assert purposes == policy.PUBLIC_PURPOSES


def test_a_planted_route_without_a_gate_is_caught(settings: Settings) -> None:
    from fastapi import APIRouter

    app = create_app(settings)
    stray = APIRouter()

    @stray.get("/api/v1/stray")
    def unguarded() -> dict[str, str]:
        return {}

    app.include_router(stray)
    route = next(r for r in _routes(app.routes) if r.path == "/api/v1/stray")
    assert list(_gates(route.dependant)) == []


def _url(path: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: PATH_VALUES[m.group(1)], path)


def _call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> Any:
    url = _url(path)
    if not path.startswith("/api/"):
        return client.request(method, url, headers=headers, follow_redirects=False)
    if path == "/api/v1/tickets" and method == "POST":
        # Intake's gate runs after the body is read: send one it would accept, from the customer's own phone.
        body = ticket_body(customer={"name": "张三", "phone": CUSTOMER_PHONE, "address": "浙江省杭州市西湖区1号"})
        return client.request(method, url, json=body, headers=headers, follow_redirects=False)
    body = {} if method in WRITES else None
    return client.request(method, url, json=body, headers=headers, follow_redirects=False)


def _refused_by_gate(response: Any, path: str, gate: Gate) -> bool:
    if response.status_code != 403:
        return False
    if path.startswith("/api/"):
        problem = response.json()
        return bool(problem["code"] == "auth.forbidden" and f"（{gate.permission.value}）" in problem["detail"])
    return "您的角色无权访问此页面" in response.text


def _sent_to_login(response: Any) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith("/console/login?next=")


@pytest.mark.parametrize("role", [*Role, None], ids=[*(r.value for r in Role), "anonymous"])
def test_every_route_answers_each_role_as_the_table_says(
    role: Role | None,
    matrix_settings: Settings,
    matrix_client: TestClient,
    db: Session,
    make_user: UserFactory,
) -> None:
    api: dict[str, str] = {}
    console: dict[str, str] = {}
    if role is not None:
        phone = CUSTOMER_PHONE if role is Role.CUSTOMER else None
        actor, token = make_user(role, username=f"matrix_{role.value}", phone=phone)
        api = {"Authorization": f"Bearer {token}"}
        console = {CSRF_HEADER: console_login(matrix_client, db, actor.username)}
    wrong = []
    # Signing out ends the session the other console calls use: it goes last.
    for method, path, gate in sorted(_cases(matrix_settings), key=lambda case: case[1] == "/console/logout"):
        response = _call(matrix_client, method, path, api if path.startswith("/api/") else console)
        where = f"{method} {path} as {role}: {response.status_code} {response.text[:160]!r}"
        if isinstance(gate, Anyone):
            # (A login or self-service form without its CSRF token is refused with 403: that is not the gate.)
            if response.status_code == 401 or _sent_to_login(response) or "无权" in response.text:
                wrong.append(f"open route refused: {where}")
            continue
        if role is None:
            expected = 401 if path.startswith("/api/") else 303
            if response.status_code != expected or (expected == 303 and not _sent_to_login(response)):
                wrong.append(f"anonymous not asked to sign in: {where}")
            continue
        may = policy.allows(role, gate.permission, getattr(gate, "scope", None))
        refused = _refused_by_gate(response, path, gate)
        if may and (refused or response.status_code in (401, 403) or _sent_to_login(response)):
            wrong.append(f"allowed by the table, refused: {where}")
        if not may and not refused:
            wrong.append(f"refused by the table, let through: {where}")
    assert wrong == [], "\n".join(wrong)
