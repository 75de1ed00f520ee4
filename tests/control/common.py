"""Shortcuts for the control-plane tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from tests.openapi_contract import check

BRIDGES = "/api/v1/iam/tunnel/bridges"


def state(client: TestClient, **kwargs: Any) -> dict[str, Any]:
    response = client.get("/_mock/state", **kwargs)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = check(response)
    return body


def stored(client: TestClient) -> dict[str, Any]:
    """The state without the clock's reading: what a request may or may not have changed."""
    return {k: v for k, v in state(client).items() if k != "now"}


def requests(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/_mock/requests", params=params)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = check(response)["requests"]
    return entries


def add_fault(client: TestClient, **spec: Any) -> dict[str, Any]:
    response = client.post("/_mock/faults", json=spec)
    assert response.status_code == 200, response.text
    fault: dict[str, Any] = check(response)
    return fault


def set_clock(client: TestClient, **change: Any) -> dict[str, Any]:
    response = client.post("/_mock/clock", json=change)
    assert response.status_code == 200, response.text
    clock: dict[str, Any] = check(response)
    return clock


def rows(database_url: str, table: str) -> list[tuple[Any, ...]]:
    """Every row of a table, read straight from the database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table}"))]
    finally:
        engine.dispose()
