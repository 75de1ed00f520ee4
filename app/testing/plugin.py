"""The pytest plugin (entry point `pytest11`): fixtures `c1_mock` and `c1_mock_server`.

`c1_mock` is c1-mock in-process: one app and SQLite file per test session, reset before each test,
reached through Starlette's TestClient (no socket). `c1_mock_server` is a real `c1-mock serve`
process on a free port, started once per session and reset before each test, for code that needs
a socket. Both are `c1_mock.testing.client.C1Mock` objects. Override the session fixture
`c1_mock_settings` to change settings (names as in C1MOCK_*, lower case, without the prefix).

This module loads in every pytest run of every project that installs c1-mock, so it imports
nothing heavy at the top: the server is imported inside the fixtures, when a test uses them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ..config import Settings
    from .client import C1Mock

ADMIN_NAME = "pytest-admin-00001"


@pytest.fixture(scope="session")
def c1_mock_settings() -> dict[str, Any]:
    """Settings for both fixtures' servers, e.g. {"tenant_domain": ..., "seed_file": ...,
    "random_seed": 42}. Override it in your conftest.py."""
    return {}


def _settings(overrides: dict[str, Any], database: Path) -> Settings:
    from ..config import Settings
    from ..core.crypto import new_secret
    from ..core.ids import Random

    tenant = overrides.get("tenant_domain") or Settings.model_fields["tenant_domain"].default
    values: dict[str, Any] = {
        "tenant_domain": tenant,
        "admin_client_id": f"{ADMIN_NAME}@{tenant}/spc",
        "admin_client_secret": new_secret(Random())[0],
        **overrides,
        # Never the database of C1MOCK_DATABASE_URL in the environment: resets would wipe it.
        "database_url": overrides.get("database_url") or f"sqlite:///{database}",
        "control": True,
    }
    return Settings(**values)


def _helpers(
    client: Any, settings: Settings, url: str = "", resetter: Callable[[], None] | None = None
) -> C1Mock:
    from .client import C1Mock

    assert settings.admin_client_id and settings.admin_client_secret
    return C1Mock(
        client,
        admin_client_id=settings.admin_client_id,
        admin_client_secret=settings.admin_client_secret,
        control_token=settings.control_token,
        url=url,
        resetter=resetter,
    )


def _direct_reset(app: Any, settings: Settings) -> Callable[[], None]:
    """What POST /_mock/reset does, without the HTTP round trip: the per-test cost matters."""
    from ..control import state

    server = app.state.server

    def reset() -> None:
        with server.db.session(write=True) as session:
            state.reset(session, settings=settings, random=server.random)

    return reset


@pytest.fixture(scope="session")
def c1_mock_session(
    tmp_path_factory: pytest.TempPathFactory, c1_mock_settings: dict[str, Any]
) -> Iterator[C1Mock]:
    """The in-process server of this test session, not reset: prefer `c1_mock`."""
    from starlette.testclient import TestClient

    from ..main import create_app

    settings = _settings(c1_mock_settings, tmp_path_factory.mktemp("c1-mock") / "c1-mock.db")
    app = create_app(settings)
    with TestClient(app, base_url=f"http://{settings.tenant_domain}") as client:
        mock = _helpers(client, settings, resetter=_direct_reset(app, settings))
        mock.app = app
        yield mock


@pytest.fixture
def c1_mock(c1_mock_session: C1Mock) -> C1Mock:
    """c1-mock in-process with a fresh state; `c1_mock.client` is a TestClient for it."""
    c1_mock_session.reset()
    return c1_mock_session


@pytest.fixture(scope="session")
def c1_mock_server_session(
    tmp_path_factory: pytest.TempPathFactory, c1_mock_settings: dict[str, Any]
) -> Iterator[C1Mock]:
    """The `c1-mock serve` process of this test session, not reset: prefer `c1_mock_server`."""
    import httpx

    from .process import ServerProcess

    root = tmp_path_factory.mktemp("c1-mock-server")
    settings = _settings(c1_mock_settings, root / "c1-mock.db")
    server = ServerProcess(settings.env(), log_path=root / "server.log").start()
    try:
        with httpx.Client(base_url=server.url, timeout=30.0) as client:
            yield _helpers(client, settings, server.url)
    finally:
        server.stop()


@pytest.fixture
def c1_mock_server(c1_mock_server_session: C1Mock) -> C1Mock:
    """A real c1-mock process with a fresh state: `url`, `admin_client_id`,
    `admin_client_secret`, and the same helpers as `c1_mock`, over HTTP."""
    c1_mock_server_session.reset()
    return c1_mock_server_session
