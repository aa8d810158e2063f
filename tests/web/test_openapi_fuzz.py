"""Schemathesis over the whole OpenAPI document, as an admin (who may call every operation): generated
requests, valid and invalid ones, fixed seed, a bounded number of examples per operation. Whatever is
sent, the server never answers 5xx, and every answer is one the document declares, in the declared shape
and content type (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from aftersales.accounts.enums import Role
from tests.conftest import UserFactory

EXAMPLES_PER_OPERATION = 15
CONFORMANCE = [status_code_conformance, response_schema_conformance, content_type_conformance]


def _runner(operation: Any, mode: GenerationMode, headers: dict[str, str], failures: list[str]) -> Callable[[], None]:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def call(case: Any) -> None:
        response = case.call(headers=headers)
        body = repr(case.body)[:200]
        if response.status_code >= 500:
            failures.append(f"{mode.value} {case.method} {case.formatted_path} {body} -> {response.status_code}")
            return
        try:
            case.validate_response(response, checks=CONFORMANCE)
        except BaseException as error:
            first = str(error).splitlines()[0][:120]
            failures.append(f"{mode.value} {case.method} {case.formatted_path} {response.status_code}: {first}")

    return call


def test_no_operation_answers_a_server_error(client: TestClient, make_user: UserFactory) -> None:
    _, token = make_user(Role.ADMIN, username="fuzz_admin")
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        _runner(operation, GenerationMode.POSITIVE, headers, failures)()
        with contextlib.suppress(Unsatisfiable):  # an operation without input cannot be called wrongly
            _runner(operation, GenerationMode.NEGATIVE, headers, failures)()
    assert operations > 50  # the whole API was walked
    assert failures == []
