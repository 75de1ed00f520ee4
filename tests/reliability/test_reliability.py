"""The reliability scenarios in a light form that fits CI (few rounds and calls); the full
figures come from `make reliability` (benchmarks/reliability.py). Each runs on SQLite (one server,
several workers) and, when C1MOCK_TEST_DATABASE_URL is set, on PostgreSQL with two servers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from c1_mock.testing.process import ServerProcess
from tests.helpers import ADMIN_ID, PG_ENV, PostgresBackend, bearer
from tests.reliability import scenarios
from tests.reliability.scenarios import ADMIN_SECRET, Sandbox

pytestmark = pytest.mark.process
BACKENDS = ["sqlite", "postgresql"] if os.environ.get(PG_ENV) else ["sqlite"]


@pytest.fixture(scope="module", params=BACKENDS)
def box(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sandbox]:
    servers = 2 if request.param == "postgresql" else 1
    workdir = tmp_path_factory.mktemp(f"reliability-{request.param}")
    with scenarios.sandbox(request.param, workdir, workers=2, servers=servers) as sandbox:
        yield sandbox


def test_concurrent_rotation_leaves_one_active_credential_and_only_it_authenticates(
    box: Sandbox,
) -> None:
    result = scenarios.rotation(box, calls=16, rounds=3)
    assert result.violations == []
    assert result.statuses == {200: 48}
    assert result.locked == 0


def test_rotations_on_several_bridges_at_once_never_touch_each_other(box: Sandbox) -> None:
    result = scenarios.rotation(box, calls=4, rounds=2, bridges=4)
    assert result.violations == []
    assert result.statuses == {200: 32}
    assert result.locked == 0


def test_one_assertion_sent_50_times_at_once_gets_exactly_one_token(box: Sandbox) -> None:
    result = scenarios.replay(box, copies=50)
    assert result.violations == []


def test_a_mint_waits_for_a_write_lock_held_2_seconds_and_never_answers_500(box: Sandbox) -> None:
    result = scenarios.lock_contention(box, hold=2.0)
    assert result.violations == []
    assert result.status in (200, 503)
    assert "internal" not in box.logs().lower()


@pytest.mark.parametrize("backend", BACKENDS)
def test_kill_9_under_mint_load_loses_no_answered_credential(backend: str, tmp_path: Path) -> None:
    result = scenarios.crash(backend, tmp_path, bridges=3, threads=6, load_seconds=1.0)
    assert result.violations == []
    assert result.integrity == "ok"
    assert result.answered > 0


@pytest.mark.skipif(not os.environ.get(PG_ENV), reason="needs PostgreSQL")
def test_servers_starting_at_once_on_a_fresh_postgresql_database_share_one_signing_key(
    tmp_path: Path,
) -> None:
    backend = PostgresBackend(os.environ[PG_ENV])
    # Empty it: the servers race to migrate and to create the signing key and the admin.
    engine = create_engine(backend.url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    procs = [
        ServerProcess(scenarios.server_env(backend.url), log_path=tmp_path / f"s{i}.log")
        for i in range(3)
    ]
    try:
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda p: p.start(timeout=60.0), procs))
        keys = {httpx.get(f"{p.url}/auth/v1/jwks").text for p in procs}
        assert len(keys) == 1
        token = scenarios.token(procs[0].url, ADMIN_ID, ADMIN_SECRET)
        for p in procs:
            response = httpx.get(f"{p.url}/api/v1/auth/introspect", headers=bearer(token))
            assert response.status_code == 200
    finally:
        for p in procs:
            p.stop()
        backend.close()
