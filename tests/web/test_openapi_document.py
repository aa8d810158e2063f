"""The OpenAPI document describes the JSON API only: console and self-service pages are not in it."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_only_the_json_api_is_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert len(paths) > 50
    assert sorted(path for path in paths if not path.startswith("/api/v1/")) == ["/healthz"]
