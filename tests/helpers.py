"""The test suite's one helper module: the tenant and admin of the `client` fixture, token requests
signed as C1's clients sign them, API and control-plane shortcuts that check their answers against
openapi.yaml, a dump of the stored state, and the app with changed settings."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from c1_mock.config import Settings
from c1_mock.core import migrate
from c1_mock.core.crypto import new_secret as _new_secret
from c1_mock.core.db import Database, normalise_url
from c1_mock.core.ids import Random
from c1_mock.core.models import Base
from c1_mock.main import create_app
from c1_mock.testing import assertions
from c1_mock.testing.client import C1Mock
from tests.contract.openapi import check, is_documented

TENANT = "acme.conductor.one"
ADMIN_ID = f"tester-admin-00001@{TENANT}/spc"
BRIDGES = "/api/v1/iam/tunnel/bridges"


def new_secret() -> str:
    """A fresh C1 client secret."""
    return _new_secret(Random())[0]


ADMIN_SECRET = new_secret()

# --- token requests ----------------------------------------------------------------------------

assertion_form = assertions.form
sign = assertions.sign


def claims_for(client_id: str, aud: Any = TENANT, **overrides: Any) -> dict[str, Any]:
    return assertions.claims(client_id, aud, **overrides)


def go_assertion(client_id: str, secret: str, aud: str = TENANT, **overrides: Any) -> str:
    return assertions.go_sdk(client_id, secret, aud, **overrides)


def ts_assertion(client_id: str, secret: str, aud: str = TENANT) -> str:
    return assertions.typescript_sdk(client_id, secret, aud)


def py_assertion(client_id: str, secret: str, aud: str = TENANT) -> str:
    return assertions.python_sdk(client_id, secret, aud)


def served_env(tmp_path: Path, more: dict[str, str] | None = None) -> dict[str, str]:
    """The settings of a `c1-mock serve` process for a test: a SQLite file in `tmp_path`, the
    test tenant and its admin client, and `more`."""
    return {
        "C1MOCK_DATABASE_URL": f"sqlite:///{tmp_path / 'c1.db'}",
        "C1MOCK_TENANT_DOMAIN": TENANT,
        "C1MOCK_ADMIN_CLIENT_ID": ADMIN_ID,
        "C1MOCK_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
        **(more or {}),
    }


def secret_form(client_id: str, secret: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_response(client: httpx.Client, form: dict[str, str], **kwargs: Any) -> httpx.Response:
    """POST /auth/v1/token, checked against openapi.yaml."""
    response = client.post("/auth/v1/token", data=form, **kwargs)
    check(response)
    return response


def token_with_secret(client: httpx.Client, client_id: str, secret: str) -> str:
    response = token_response(client, secret_form(client_id, secret))
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def token_with_assertion(client: httpx.Client, client_id: str, assertion: str) -> httpx.Response:
    return token_response(client, assertion_form(client_id, assertion))


# --- the API -----------------------------------------------------------------------------------


def _ok(response: httpx.Response) -> Any:
    body = check(response)
    assert response.status_code == 200, response.text
    return body


def create_bridge(
    client: httpx.Client, admin: dict[str, str], name: str = "bridge", description: str = ""
) -> dict[str, Any]:
    body = {"displayName": name, "description": description}
    bridge: dict[str, Any] = _ok(client.post(BRIDGES, json=body, headers=admin))["bridge"]
    return bridge


def mint(client: httpx.Client, admin: dict[str, str], bridge_id: str) -> dict[str, Any]:
    response = client.post(f"{BRIDGES}/{bridge_id}/credentials", json={}, headers=admin)
    credential: dict[str, Any] = _ok(response)["credential"]
    return credential


def list_credentials(client: httpx.Client, admin: dict[str, str], bridge_id: str) -> list[Any]:
    items: list[Any] = _ok(client.get(f"{BRIDGES}/{bridge_id}/credentials", headers=admin))["list"]
    return items


def introspect(client: httpx.Client, token: str) -> httpx.Response:
    response = client.get("/api/v1/auth/introspect", headers=bearer(token))
    check(response)
    return response


# --- the control plane -------------------------------------------------------------------------


def c1_mock(client: httpx.Client) -> C1Mock:
    """The shipped helpers over `client`, as the admin of the `client` fixture."""
    return C1Mock(client, admin_client_id=ADMIN_ID, admin_client_secret=ADMIN_SECRET)


def state(client: httpx.Client) -> dict[str, Any]:
    """GET /_mock/state: every bridge, credential and admin client."""
    return c1_mock(client).state()


def stored(client: httpx.Client) -> dict[str, Any]:
    """The state without the clock's reading: what a request may or may not have changed."""
    return {k: v for k, v in state(client).items() if k != "now"}


def requests(
    client: httpx.Client, operationId: str | None = None, status: int | None = None
) -> list[dict[str, Any]]:
    """The request journal, oldest first."""
    return c1_mock(client).requests(operationId, status)


def add_fault(client: httpx.Client, **spec: Any) -> dict[str, Any]:
    fault: dict[str, Any] = _ok(client.post("/_mock/faults", json=spec))
    return fault


def set_clock(client: httpx.Client, **change: Any) -> dict[str, Any]:
    clock: dict[str, Any] = _ok(client.post("/_mock/clock", json=change))
    return clock


def advance_clock(client: httpx.Client, seconds: float) -> None:
    """Move the server's virtual clock forward."""
    set_clock(client, advance=seconds)


def rows(database_url: str, table: str) -> list[tuple[Any, ...]]:
    """Every row of a table, read straight from the database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table}"))]
    finally:
        engine.dispose()


def dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


# --- databases ---------------------------------------------------------------------------------

PG_ENV = "C1MOCK_TEST_DATABASE_URL"


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


# --- apps --------------------------------------------------------------------------------------


def _contract(response: httpx.Response) -> None:
    """Every success of an operation openapi.yaml documents is checked against it; tests check
    the errors they provoke themselves."""
    if response.is_success and is_documented(response.request):
        response.read()
        check(response)


@contextmanager
def in_process(settings: Settings, **changes: Any) -> Iterator[TestClient]:
    """The app with `changes` to its settings, over Starlette's TestClient (no socket), with the
    host name of the tenant; its successful answers are checked against openapi.yaml."""
    app = create_app(settings.model_copy(update=changes))
    with TestClient(app, base_url=f"http://{TENANT}") as test_client:
        test_client.event_hooks["response"].append(_contract)
        yield test_client
