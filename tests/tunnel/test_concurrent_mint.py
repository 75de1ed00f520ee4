"""N concurrent CreateBridgeCredential calls on one bridge, over several `c1-mock serve` worker
processes: every call succeeds, exactly one credential stays ACTIVE and only its secret still
gets a token, and their times follow the order the mints commit in. Runs on a SQLite file, and
on PostgreSQL when C1MOCK_TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from c1_mock.core.models import ACTIVE, REVOKED
from c1_mock.testing.process import ServerProcess
from tests.helpers import (
    ADMIN_ID,
    PG_ENV,
    TENANT,
    PostgresBackend,
    assertion_form,
    bearer,
    go_assertion,
    new_secret,
    secret_form,
)

pytestmark = pytest.mark.process

WORKERS = 3
CALLS = 16
ROUNDS = 2
ADMIN_SECRET = new_secret()


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(PG_ENV) else ["sqlite"]


@pytest.fixture(params=_backends())
def server_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of this test's own: a new SQLite file, or a PostgreSQL database it drops."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'c1-mock.db'}"
        return
    backend = PostgresBackend(os.environ[PG_ENV])
    try:
        yield backend.url
    finally:
        backend.close()


def _serve(database_url: str, tmp_path: Path, workers: int) -> ServerProcess:
    env = {
        "C1MOCK_DATABASE_URL": database_url,
        "C1MOCK_TENANT_DOMAIN": TENANT,
        "C1MOCK_ADMIN_CLIENT_ID": ADMIN_ID,
        "C1MOCK_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
        "C1MOCK_LOG_LEVEL": "warning",
    }
    return ServerProcess(env, log_path=tmp_path / "serve.log", args=["--workers", str(workers)])


@pytest.fixture
def server(server_database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    with _serve(server_database_url, tmp_path, WORKERS) as process:
        yield process


def _mint_concurrently(
    url: str, admin: dict[str, str], bridge_id: str, calls: int = CALLS
) -> list[httpx.Response]:
    """`calls` requests at once, each on its own connection, so the workers race for the
    bridge."""
    clients = [httpx.Client(base_url=url, headers=admin, timeout=30.0) for _ in range(calls)]
    try:
        path = f"/api/v1/iam/tunnel/bridges/{bridge_id}/credentials"
        with ThreadPoolExecutor(calls) as pool:
            return list(pool.map(lambda c: c.post(path, json={}), clients))
    finally:
        for client in clients:
            client.close()


def _token_status(api: httpx.Client, client_id: str, secret: str) -> int:
    return api.post("/auth/v1/token", data=secret_form(client_id, secret)).status_code


def test_concurrent_mints_on_one_bridge_leave_one_active_credential_and_only_its_secret_works(
    server: ServerProcess,
) -> None:
    with httpx.Client(base_url=server.url, timeout=30.0) as api:
        answer = api.post("/auth/v1/token", data=secret_form(ADMIN_ID, ADMIN_SECRET))
        admin = bearer(answer.json()["access_token"])
        bridge = api.post("/api/v1/iam/tunnel/bridges", json={"displayName": "race"}, headers=admin)
        bridge_id = bridge.json()["bridge"]["id"]
        secrets: dict[str, tuple[str, str]] = {}
        for _ in range(ROUNDS):
            responses = _mint_concurrently(server.url, admin, bridge_id)
            assert [r.status_code for r in responses] == [200] * CALLS, server.output()
            for response in responses:
                minted: dict[str, Any] = response.json()["credential"]
                secrets[minted["id"]] = (minted["clientId"], minted["clientSecret"])
        listed = api.get(
            f"/api/v1/iam/tunnel/bridges/{bridge_id}/credentials",
            params={"pageSize": 1000},
            headers=admin,
        ).json()["list"]
        statuses = {c["id"]: c["credentialStatus"] for c in listed}
        active = [cid for cid, status in statuses.items() if status == ACTIVE]

        assert len(secrets) == CALLS * ROUNDS
        assert len({secret for _, secret in secrets.values()}) == CALLS * ROUNDS
        assert statuses.keys() == secrets.keys()
        assert len(active) == 1
        assert sorted(statuses.values()) == sorted([ACTIVE] + [REVOKED] * (CALLS * ROUNDS - 1))
        for cid, (client_id, secret) in secrets.items():
            assert _token_status(api, client_id, secret) == (200 if cid in active else 401), cid
        client_id, secret = secrets[active[0]]
        signed = api.post(
            "/auth/v1/token", data=assertion_form(client_id, go_assertion(client_id, secret))
        )
        assert signed.status_code == 200


# More than the 40 threads of the thread pool that runs a worker's routes (anyio's default).
MANY = 64


def test_more_concurrent_mints_than_a_worker_has_threads_all_succeed(
    server_database_url: str, tmp_path: Path
) -> None:
    """One worker, MANY mints at once: a request takes the write turn and gives it back within
    one thread-pool call, so no request waits for a thread that the requests queued for the turn
    hold (with a session dependency opened in one hop and closed in another, they did: 503s
    after the 10 s busy timeout)."""
    with (
        _serve(server_database_url, tmp_path, workers=1) as process,
        httpx.Client(base_url=process.url, timeout=30.0) as api,
    ):
        answer = api.post("/auth/v1/token", data=secret_form(ADMIN_ID, ADMIN_SECRET))
        admin = bearer(answer.json()["access_token"])
        bridge = api.post("/api/v1/iam/tunnel/bridges", json={"displayName": "many"}, headers=admin)
        responses = _mint_concurrently(process.url, admin, bridge.json()["bridge"]["id"], MANY)
        assert [r.status_code for r in responses] == [200] * MANY, process.output()


def _times(credential: dict[str, Any]) -> tuple[str, str | None]:
    return credential["createdAt"], credential["revokedAt"]


def test_rotation_times_follow_the_order_mints_commit_in(
    server_database_url: str, tmp_path: Path
) -> None:
    """64 mints at once over 4 workers: every credential is revoked no earlier than it was made,
    and the ACTIVE one is the one made last (the time is read once the bridge is locked)."""
    with (
        _serve(server_database_url, tmp_path, 4) as process,
        httpx.Client(base_url=process.url, timeout=30.0) as api,
    ):
        answer = api.post("/auth/v1/token", data=secret_form(ADMIN_ID, ADMIN_SECRET))
        admin = bearer(answer.json()["access_token"])
        bridge = api.post("/api/v1/iam/tunnel/bridges", json={"displayName": "t"}, headers=admin)
        bridge_id = bridge.json()["bridge"]["id"]
        responses = _mint_concurrently(process.url, admin, bridge_id, MANY)
        assert [r.status_code for r in responses] == [200] * MANY, process.output()
        listed = api.get(
            f"/api/v1/iam/tunnel/bridges/{bridge_id}/credentials",
            params={"pageSize": 1000},
            headers=admin,
        ).json()["list"]

    revoked = [c for c in listed if c["credentialStatus"] == REVOKED]
    (active,) = [c for c in listed if c["credentialStatus"] == ACTIVE]
    assert all(_parsed(c["revokedAt"]) >= _parsed(c["createdAt"]) for c in revoked)
    assert _parsed(active["createdAt"]) >= max(_parsed(c["createdAt"]) for c in revoked)
    assert _parsed(active["createdAt"]) >= max(_parsed(c["revokedAt"]) for c in revoked)


def _parsed(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_seeding_an_active_credential_while_mints_run_on_its_bridge_lets_both_succeed(
    server_database_url: str, tmp_path: Path
) -> None:
    """Seeding takes the bridge's lock first, as a mint does: neither waits for the other in a
    deadlock (PostgreSQL answered 503 and 409 when seeding locked the credentials first)."""
    bridge_id = "2RGdOS94VDferT9e80mdgntl36K"
    with (
        _serve(server_database_url, tmp_path, 4) as process,
        httpx.Client(base_url=process.url, timeout=30.0) as api,
    ):
        answer = api.post("/auth/v1/token", data=secret_form(ADMIN_ID, ADMIN_SECRET))
        admin = bearer(answer.json()["access_token"])
        seed = {"bridges": [{"id": bridge_id, "displayName": "seeded"}]}
        assert api.post("/_mock/seed", json=seed).status_code == 200

        def seeded(n: int) -> int:
            credential = {"id": f"seeded-cred-{n:05d}", "clientSecret": new_secret()}
            document = {"bridges": [seed["bridges"][0] | {"credentials": [credential]}]}
            with httpx.Client(base_url=process.url, timeout=30.0) as own:
                return own.post("/_mock/seed", json=document).status_code

        with ThreadPoolExecutor(32) as pool:
            seeds = pool.map(seeded, range(16))
            mints = _mint_concurrently(process.url, admin, bridge_id, 16)
            seed_statuses = list(seeds)
        listed = api.get(
            f"/api/v1/iam/tunnel/bridges/{bridge_id}/credentials",
            params={"pageSize": 1000},
            headers=admin,
        ).json()["list"]

    assert seed_statuses == [200] * 16, process.output()
    assert [m.status_code for m in mints] == [200] * 16, process.output()
    assert [c["credentialStatus"] for c in listed].count(ACTIVE) == 1
