"""Who may use /_mock/: everyone on a local server, the holder of C1MOCK_CONTROL_TOKEN when it is
set, and no one with --no-control."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from c1_mock.config import Settings
from c1_mock.testing.process import ServerProcess
from tests.contract.openapi import spec
from tests.helpers import ADMIN_ID, ADMIN_SECRET, BRIDGES, bearer, in_process, rows, secret_form

CONTROL_TOKEN = "control-token-for-tests"
CALLS = [
    (method.upper(), path.replace("{id}", "2RGdOS94VDferT9e80mdgntl36K"))
    for path, item in spec()["paths"].items()
    if path.startswith("/_mock/")
    for method in item
]


def _app(settings: Settings, **update: object) -> Iterator[TestClient]:
    with in_process(settings, **update) as client:
        yield client


@pytest.fixture
def guarded(settings: Settings) -> Iterator[TestClient]:
    yield from _app(settings, control_token=CONTROL_TOKEN)


@pytest.fixture
def closed(settings: Settings) -> Iterator[TestClient]:
    yield from _app(settings, control=False)


@pytest.mark.parametrize(("method", "path"), CALLS)
def test_with_a_control_token_every_control_call_without_it_is_401(
    guarded: TestClient, method: str, path: str
) -> None:
    for headers in ({}, bearer("wrong"), {"Authorization": CONTROL_TOKEN}):
        response = guarded.request(method, path, headers=headers, json={})
        assert response.status_code == 401, (headers, response.text)
        assert response.json()["code"] == 16


def test_with_a_control_token_the_holder_gets_through(guarded: TestClient) -> None:
    response = guarded.get("/_mock/clock", headers=bearer(CONTROL_TOKEN))

    assert response.status_code == 200


def test_the_control_token_is_not_needed_by_the_c1_api(guarded: TestClient) -> None:
    response = guarded.post("/auth/v1/token", data=secret_form(ADMIN_ID, ADMIN_SECRET))

    assert response.status_code == 200
    token = response.json()["access_token"]
    assert guarded.get(BRIDGES, headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(("method", "path"), CALLS)
def test_with_control_off_every_control_path_is_404(
    closed: TestClient, method: str, path: str
) -> None:
    response = closed.request(method, path, json={})

    assert response.status_code == 404
    assert response.json()["code"] == 5


def test_with_control_off_nothing_is_journaled(closed: TestClient, settings: Settings) -> None:
    response = closed.post("/auth/v1/token", data=secret_form(ADMIN_ID, ADMIN_SECRET))
    assert response.status_code == 200

    assert rows(settings.database_url, "journal_entries") == []


@pytest.mark.process
def test_serve_with_no_control_answers_404_under_mock(tmp_path: Path) -> None:
    env = {"C1MOCK_DATABASE_URL": f"sqlite:///{tmp_path / 'c1.db'}"}
    server = ServerProcess(env, log_path=tmp_path / "server.log", args=["--no-control"])
    with server:
        closed = httpx.get(f"{server.url}/_mock/state")
        health = httpx.get(f"{server.url}/healthz")

    assert closed.status_code == 404 and closed.json()["code"] == 5
    assert health.status_code == 200
