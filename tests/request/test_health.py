"""GET /healthz."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.contract.openapi import check


def test_healthz_answers_ok_without_authentication(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert check(response) == {"status": "ok"}
