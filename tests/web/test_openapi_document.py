"""The OpenAPI document describes the JSON API only: console and self-service pages are not in it."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_only_the_json_api_is_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert len(paths) > 50
    assert sorted(path for path in paths if not path.startswith("/api/v1/")) == ["/healthz"]


def test_every_operation_documents_its_problem_answers(client: TestClient) -> None:
    """The errors the handlers produce ({code, detail, fields}) are the ones the document shows, not
    FastAPI's default validation shape."""
    document = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert set(document["components"]["schemas"]["Problem"]["required"]) == {"code", "detail", "fields"}
    for path, operations in document["paths"].items():
        if path == "/healthz":
            continue
        for method, operation in operations.items():
            documented = set(operation["responses"])
            assert {"401", "403", "404", "409", "422", "429", "503"} <= documented, (method, path)
            assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }, (method, path)
