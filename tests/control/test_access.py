"""Who may use /_mock/: everyone on a local server, the holder of C1MOCK_CONTROL_TOKEN when it is
set, and no one with --no-control."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from c1_mock.config import Settings
from c1_mock.testing.client import C1Mock
from c1_mock.testing.process import ServerProcess
from tests.contract.openapi import spec
from tests.helpers import ADMIN_ID, ADMIN_SECRET, BRIDGES, bearer, in_process, rows, secret_form

CONTROL_TOKEN = "control-token-for-tests"
EXAMPLE = {"{id}": "2RGdOS94VDferT9e80mdgntl36K", "{name}": "ui.js"}


def _calls(public: bool) -> list[tuple[str, str]]:
    """(method, path) of each /_mock/ operation: those that need the control token when one is
    set, or (`public`) the dashboard's files, which hold no data (a browser navigating to the page
    cannot send a token)."""
    found = []
    for template, item in spec()["paths"].items():
        for method, operation in item.items():
            if template.startswith("/_mock/") and (operation["security"] == []) == public:
                path = template
                for name, value in EXAMPLE.items():
                    path = path.replace(name, value)
                found.append((method.upper(), path))
    return found


CALLS, PUBLIC = _calls(public=False), _calls(public=True)
WRITES = [(method, path) for method, path in CALLS if method != "GET"]


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


@pytest.mark.parametrize(("method", "path"), PUBLIC)
def test_with_a_control_token_the_dashboards_files_need_none(
    guarded: TestClient, method: str, path: str
) -> None:
    response = guarded.request(method, path)

    assert response.status_code == 200
    assert "Content-Security-Policy" in response.headers


@pytest.mark.parametrize(("method", "path"), CALLS + PUBLIC)
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


# --- changes from other origins' pages ----------------------------------------------------------

CROSS_ORIGIN = [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},  # another port of localhost is the same site
    {"Origin": "http://evil.example"},
    {"Origin": "null"},  # a sandboxed frame or a file: page
]


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("headers", CROSS_ORIGIN, ids=lambda h: "=".join(*h.items()))
def test_a_change_sent_by_another_origins_page_is_403(
    client: TestClient, method: str, path: str, headers: dict[str, str]
) -> None:
    response = client.request(method, path, headers=headers, json={})

    assert response.status_code == 403, response.text
    assert response.json()["code"] == 7


def test_a_cross_origin_form_post_to_reset_changes_nothing(
    client: TestClient, mock: C1Mock
) -> None:
    mock.create_bridge("kept")
    form = {"Origin": "http://evil.example", "Content-Type": "application/x-www-form-urlencoded"}

    refused = client.post("/_mock/reset", content=b"", headers=form)

    assert refused.status_code == 403
    assert [bridge["displayName"] for bridge in mock.state()["bridges"]] == ["kept"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Sec-Fetch-Site": "same-origin"}, {"Origin": "http://acme.conductor.one"}],
    ids=["no browser", "same origin by fetch metadata", "same origin by Origin"],
)
def test_a_change_from_the_same_origin_or_from_no_browser_goes_through(
    client: TestClient, headers: dict[str, str]
) -> None:
    response = client.post("/_mock/clock", json={"advance": 60}, headers=headers)

    assert response.status_code == 200, response.text


def test_reads_from_another_origin_are_answered(client: TestClient) -> None:
    # Without CORS headers a browser does not let the other page read the answer.
    response = client.get("/_mock/clock", headers={"Sec-Fetch-Site": "cross-site"})

    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
