"""The pytest plugin (entry point `pytest11`): fixtures `c1_mock` and `c1_mock_server`.

`c1_mock` is c1-mock in-process, reached through Starlette's TestClient (no socket) at
http://c1-mock.invalid; `c1_mock_server` is a real `c1-mock serve` process on a free port of
127.0.0.1. Both are `c1_mock.testing.client.C1Mock` objects, reset before each test. Override the
fixture `c1_mock_settings` to change settings (names as in C1MOCK_*, lower case, without the
prefix): each distinct set of settings gets an app (and a process) of its own, made once per
session, so two directories whose conftest.py files configure different settings each get the
server theirs describe. A relative `seed_file` is read from the directory of the file that
defined `c1_mock_settings`.

This module loads in every pytest run of every project that installs c1-mock, so it imports
nothing heavy at the top: the server is imported inside the fixtures, when a test uses them.
"""

from __future__ import annotations

import contextlib
import difflib
import inspect
import json
from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ..config import Settings
    from .client import C1Mock

ADMIN_NAME = "pytest-admin-00001"
# The in-process server's base URL: a name that can never resolve (RFC 6761 reserves .invalid),
# so code under test that builds its own client from it cannot leave the machine by mistake.
IN_PROCESS_HOST = "c1-mock.invalid"
IN_PROCESS_URL = f"http://{IN_PROCESS_HOST}"

# id(a c1_mock_settings value) -> (the value, the file of the fixture that returned it).
_origins: dict[int, tuple[Any, Path]] = {}


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, Any, Any]:
    """Remember which file defined the c1_mock_settings a test gets, to read seed_file from
    beside it."""
    result = yield
    if fixturedef.argname == "c1_mock_settings":
        # Not defined in a file (getfile raises): seed_file is read from the working directory.
        with contextlib.suppress(TypeError, OSError):
            _origins[id(result)] = (result, Path(inspect.getfile(fixturedef.func)).resolve())
    return result


@pytest.fixture(scope="session")
def c1_mock_settings() -> dict[str, Any]:
    """Settings for both fixtures' servers, e.g. {"tenant_domain": ..., "seed_file": ...,
    "random_seed": 42}. Override it in your conftest.py."""
    return {}


class Servers:
    """The session's servers, one per distinct settings: in-process apps and processes."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory
        self._stack = ExitStack()
        self._made: dict[tuple[str, str], C1Mock] = {}
        self._refused: dict[tuple[str, str], str] = {}

    def get(self, kind: str, overrides: dict[str, Any]) -> C1Mock:
        """The server of `kind` ("app" or "process") for these settings, made on first use."""
        resolved = _resolved(overrides)
        key = (kind, json.dumps(resolved, sort_keys=True, default=str))
        if key not in self._made and key not in self._refused:
            try:
                self._made[key] = self._make(kind, resolved)
            except pytest.fail.Exception as exc:
                self._refused[key] = str(exc)
        if key in self._refused:
            pytest.fail(self._refused[key], pytrace=False)
        return self._made[key]

    def _make(self, kind: str, overrides: dict[str, Any]) -> C1Mock:
        root = self._tmp.mktemp(f"c1-mock-{kind}")
        settings = _settings(overrides, root / "c1-mock.db")
        if kind == "app":
            return self._in_process(settings)
        return self._process(settings, root)

    def _in_process(self, settings: Settings) -> C1Mock:
        import httpx
        from starlette.testclient import TestClient

        from ..main import create_app
        from ..server.bootstrap import SettingRefused
        from .transport import TestClientTransport

        try:
            app = create_app(settings)
        except SettingRefused as exc:
            pytest.fail(f"c1_mock_settings: {exc}", pytrace=False)
        client = self._stack.enter_context(TestClient(app, base_url=IN_PROCESS_URL))
        mock = _helpers(client, settings, resetter=_direct_reset(app, settings))
        mock.app = app
        mock.transport = TestClientTransport(client)
        mock.async_transport = httpx.ASGITransport(app=app)
        return mock

    def _process(self, settings: Settings, root: Path) -> C1Mock:
        import httpx

        from .process import ServerProcess

        server = ServerProcess(settings.env(), log_path=root / "server.log")
        self._stack.callback(server.stop)
        try:
            server.start()
        except (RuntimeError, TimeoutError) as exc:
            pytest.fail(f"c1_mock_settings: c1-mock serve did not start: {exc}", pytrace=False)
        client = self._stack.enter_context(httpx.Client(base_url=server.url, timeout=30.0))
        mock = _helpers(client, settings, server.url)
        mock.transport = self._stack.enter_context(httpx.HTTPTransport())
        mock.async_transport = httpx.AsyncHTTPTransport()
        return mock

    def close(self) -> None:
        self._stack.close()


def _resolved(overrides: dict[str, Any]) -> dict[str, Any]:
    """The overrides, checked against the settings' names, with a relative seed_file made
    absolute: beside the file that defined c1_mock_settings, else in the working directory."""
    from ..config import Settings

    known = sorted(Settings.model_fields)
    for name in overrides:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            pytest.fail(
                f"c1_mock_settings: unknown setting {name!r}{hint}; "
                f"the settings are {', '.join(known)}",
                pytrace=False,
            )
    resolved = dict(overrides)
    if overrides.get("seed_file") is not None:
        resolved["seed_file"] = _seed_path(overrides, Path(overrides["seed_file"]))
    return resolved


def _seed_path(overrides: dict[str, Any], path: Path) -> Path:
    origin = _origins.get(id(overrides))
    base = origin[1].parent if origin and origin[0] is overrides else Path.cwd()
    tried = (base / path).resolve()
    if not tried.is_file():
        where = f"the directory of {origin[1]}" if origin else "the working directory"
        pytest.fail(
            f"c1_mock_settings: seed_file {tried} is not a file "
            f"(a relative seed_file is read from {where})",
            pytrace=False,
        )
    return tried


def _settings(overrides: dict[str, Any], database: Path) -> Settings:
    from pydantic import ValidationError

    from ..config import Settings, describe, named
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
        # Assertions signed for the in-process URL (as C1's SDKs sign them: aud = its host).
        "audiences": [*overrides.get("audiences", []), IN_PROCESS_HOST],
    }
    names = {name: f"c1_mock_settings[{name!r}]" for name in Settings.model_fields}
    try:
        settings = Settings(**values)
    except ValidationError as exc:
        pytest.fail(f"c1_mock_settings: {describe(exc, names)}", pytrace=False)
    unusable = settings.unusable_here()
    if unusable is not None:
        pytest.fail(f"c1_mock_settings: {named(*unusable, names)}", pytrace=False)
    return settings


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
def c1_mock_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """Every c1-mock server of this test session, by settings; stopped when it ends."""
    servers = Servers(tmp_path_factory)
    yield servers
    servers.close()


@pytest.fixture
def c1_mock_session(c1_mock_servers: Servers, c1_mock_settings: dict[str, Any]) -> C1Mock:
    """The in-process server of this test's settings, not reset: prefer `c1_mock`."""
    return c1_mock_servers.get("app", c1_mock_settings)


@pytest.fixture
def c1_mock(c1_mock_session: C1Mock) -> C1Mock:
    """c1-mock in-process with a fresh state; `c1_mock.client` is a TestClient for it."""
    c1_mock_session.reset()
    return c1_mock_session


@pytest.fixture
def c1_mock_server_session(c1_mock_servers: Servers, c1_mock_settings: dict[str, Any]) -> C1Mock:
    """The `c1-mock serve` process of this test's settings, not reset: prefer `c1_mock_server`."""
    return c1_mock_servers.get("process", c1_mock_settings)


@pytest.fixture
def c1_mock_server(c1_mock_server_session: C1Mock) -> C1Mock:
    """A real c1-mock process with a fresh state: `url`, `admin_client_id`,
    `admin_client_secret`, and the same helpers as `c1_mock`, over HTTP."""
    c1_mock_server_session.reset()
    return c1_mock_server_session
