"""Fixtures: every test runs on a real SQLite file, and again on PostgreSQL when
C1MOCK_TEST_DATABASE_URL points at one (a database of its own per run, dropped afterwards)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from app import migrate
from app.config import Settings
from app.db import Database, normalise_url
from app.main import create_app
from app.models import Base
from app.security import new_secret
from tests.api.common import create_bridge, mint
from tests.c1 import ADMIN_ID, TENANT, bearer, secret_form

PG_ENV = "C1MOCK_TEST_DATABASE_URL"
ADMIN_SECRET, _ = new_secret()


class Backend:
    """Hands out fresh, migrated databases of one kind."""

    name = ""

    def fresh_url(self, tmp_path: Path) -> str:
        raise NotImplementedError

    def close(self) -> None:
        pass


class SQLiteBackend(Backend):
    name = "sqlite"

    def __init__(self, root: Path) -> None:
        self.template = root / "template.db"
        db = Database(f"sqlite:///{self.template}")
        migrate.upgrade(db.engine)
        db.dispose()

    def fresh_url(self, tmp_path: Path) -> str:
        path = tmp_path / "c1-mock.db"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"


class PostgresBackend(Backend):
    """One database per test run; each test starts from emptied tables."""

    name = "postgresql"

    def __init__(self, admin_url: str) -> None:
        self.admin_url = normalise_url(admin_url)
        self.db_name = f"c1mock_test_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{self.db_name}"')
        self.url = (
            make_url(self.admin_url)
            .set(database=self.db_name)
            .render_as_string(hide_password=False)
        )
        self.engine = create_engine(self.url, poolclass=None)
        migrate.upgrade(self.engine)

    def _admin(self, sql: str) -> None:
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(sql))
        engine.dispose()

    def fresh_url(self, tmp_path: Path) -> str:
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        with self.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        return self.url

    def close(self) -> None:
        self.engine.dispose()
        self._admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')


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


@contextmanager
def in_process(settings: Settings, **changes: Any) -> Iterator[TestClient]:
    """The app with `changes` to its settings, over Starlette's TestClient (no socket), with the
    host name of the tenant."""
    app = create_app(settings.model_copy(update=changes))
    with TestClient(app, base_url=f"http://{TENANT}") as test_client:
        yield test_client


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
def admin_token(client: TestClient) -> str:
    response = client.post("/auth/v1/token", data=secret_form(ADMIN_ID, ADMIN_SECRET))
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@pytest.fixture
def admin(admin_token: str) -> dict[str, str]:
    """Headers that authenticate as the admin client."""
    return bearer(admin_token)


@pytest.fixture
def bridge(client: TestClient, admin: dict[str, str]) -> dict[str, Any]:
    return create_bridge(client, admin, "office")


@pytest.fixture
def credential(client: TestClient, admin: dict[str, str], bridge: dict[str, Any]) -> dict[str, Any]:
    """A freshly minted credential, with its clientSecret."""
    return mint(client, admin, bridge["id"])
