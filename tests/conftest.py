"""Fixtures: every test runs on a real SQLite file, and again on PostgreSQL when
C1MOCK_TEST_DATABASE_URL points at one (a database of its own per run, dropped afterwards)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Imported before any in-process pytester run: such a run drops the modules it imported, and httpx
# imports httpcore on its first request and keeps mapping the errors of that copy, so a later
# "connection refused" of a fresh copy would escape as an unmapped httpcore error.
import httpcore  # noqa: F401
import pytest
from starlette.testclient import TestClient

from c1_mock.config import Settings
from c1_mock.testing.client import C1Mock
from tests.helpers import (
    ADMIN_ID,
    ADMIN_SECRET,
    PG_ENV,
    TENANT,
    Backend,
    PostgresBackend,
    SQLiteBackend,
    c1_mock,
    in_process,
)


def _backend_names() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(PG_ENV) else ["sqlite"]


@pytest.fixture(scope="session")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Backend]]:
    made: dict[str, Backend] = {}
    yield made
    for backend in made.values():
        backend.close()


@pytest.fixture(params=_backend_names())
def database_url(
    request: pytest.FixtureRequest,
    backends: dict[str, Backend],
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    """A fresh, migrated database: a SQLite file, or (second run) a PostgreSQL database."""
    name = request.param
    if name not in backends:
        if name == "sqlite":
            backends[name] = SQLiteBackend(tmp_path_factory.mktemp("sqlite-template"))
        else:
            backends[name] = PostgresBackend(os.environ[PG_ENV])
    return backends[name].fresh_url(tmp_path)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        tenant_domain=TENANT,
        admin_client_id=ADMIN_ID,
        admin_client_secret=ADMIN_SECRET,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with in_process(settings) as test_client:
        yield test_client


@pytest.fixture
def short_lived(settings: Settings) -> Iterator[TestClient]:
    """The app with credentials that expire after a minute (the virtual clock passes it)."""
    with in_process(settings, credential_lifetime=60) as test_client:
        yield test_client


@pytest.fixture
def mock(client: TestClient) -> C1Mock:
    """The shipped helpers (what the pytest plugin's fixtures are) over `client`, as its admin."""
    return c1_mock(client)


@pytest.fixture
def admin_token(mock: C1Mock) -> str:
    return mock.admin_token()


@pytest.fixture
def admin(mock: C1Mock) -> dict[str, str]:
    """Headers that authenticate as the admin client."""
    return mock.admin_headers()


@pytest.fixture
def bridge(mock: C1Mock) -> dict[str, Any]:
    return mock.create_bridge("office")


@pytest.fixture
def credential(mock: C1Mock, bridge: dict[str, Any]) -> dict[str, Any]:
    """A freshly minted credential, with its clientSecret."""
    return mock.mint(bridge["id"])
