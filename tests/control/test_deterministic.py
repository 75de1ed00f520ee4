"""Deterministic mode: C1MOCK_RANDOM_SEED makes ids, cutenames, secrets and keys repeat."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from c1_mock.config import Settings
from c1_mock.main import create_app
from c1_mock.testing.process import ServerProcess
from tests.helpers import ADMIN_ID, ADMIN_SECRET, BRIDGES, TENANT, bearer, secret_form


def _session(client: httpx.Client) -> list[Any]:
    """The same requests every time; what the server made up in answer. KSUIDs embed the time,
    so the clock is frozen first, as a snapshot test would."""
    client.post("/_mock/clock", json={"now": "2030-01-01T00:00:00Z", "frozen": True})
    token = client.post("/auth/v1/token", data=secret_form(ADMIN_ID, ADMIN_SECRET))
    headers = bearer(token.json()["access_token"])
    bridge = client.post(BRIDGES, json={"displayName": "b"}, headers=headers).json()["bridge"]
    minted = client.post(f"{BRIDGES}/{bridge['id']}/credentials", json={}, headers=headers)
    credential = minted.json()["credential"]
    keys = client.get("/auth/v1/jwks").json()
    return [bridge["id"], credential["id"], credential["clientSecret"], keys]


def _app(tmp_path: Path, name: str, seed: int | None) -> TestClient:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / name}",
        tenant_domain=TENANT,
        admin_client_id=ADMIN_ID,
        admin_client_secret=ADMIN_SECRET,
        random_seed=seed,
    )
    return TestClient(create_app(settings), base_url=f"http://{TENANT}")


def _fresh_run(tmp_path: Path, name: str, seed: int | None) -> list[Any]:
    with _app(tmp_path, name, seed) as client:
        return _session(client)


def test_two_fresh_servers_with_the_same_seed_make_the_same_ids_secrets_and_keys(
    tmp_path: Path,
) -> None:
    first = _fresh_run(tmp_path, "one.db", 42)
    second = _fresh_run(tmp_path, "two.db", 42)

    assert first == second


def test_without_a_seed_or_with_another_they_differ(tmp_path: Path) -> None:
    seeded = _fresh_run(tmp_path, "one.db", 42)

    assert _fresh_run(tmp_path, "two.db", 43)[:3] != seeded[:3]
    assert _fresh_run(tmp_path, "three.db", None)[:3] != seeded[:3]


def test_two_apps_in_one_process_draw_from_streams_of_their_own(tmp_path: Path) -> None:
    with _app(tmp_path, "one.db", 42) as one, _app(tmp_path, "two.db", 42) as two:
        first = _session(one)
        second = _session(two)  # after the first app drew its own
        third = _session(one)

    assert second == first
    assert third[:3] != first[:3]


def test_a_reset_server_repeats_the_ids_of_a_fresh_one(tmp_path: Path) -> None:
    with _app(tmp_path, "c1.db", 7) as client:
        fresh = _session(client)
        client.post("/_mock/reset")
        again = _session(client)

    assert again == fresh


@pytest.mark.process
def test_two_fresh_serve_processes_with_the_same_seed_make_the_same_keys_and_ids(
    tmp_path: Path,
) -> None:
    runs = []
    for name in ("one", "two"):
        env = {
            "C1MOCK_DATABASE_URL": f"sqlite:///{tmp_path / name}.db",
            "C1MOCK_RANDOM_SEED": "42",
            "C1MOCK_TENANT_DOMAIN": TENANT,
            "C1MOCK_ADMIN_CLIENT_ID": ADMIN_ID,
            "C1MOCK_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
        }
        with (
            ServerProcess(env, log_path=tmp_path / f"{name}.log") as server,
            httpx.Client(base_url=server.url) as client,
        ):
            runs.append(_session(client))

    assert runs[0] == runs[1]
