"""`c1-mock admin create`, `c1-mock db upgrade`, and the admin client a server starts with."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, inspect
from starlette.testclient import TestClient

from c1_mock.config import Settings
from c1_mock.core.crypto import decode_secret
from c1_mock.core.models import Base
from c1_mock.main import create_app
from c1_mock.testing.process import CLI, free_port, wait_healthy
from tests.helpers import (
    TENANT,
    assertion_form,
    claims_for,
    go_assertion,
    secret_form,
    token_response,
)


def _env(**settings: str) -> dict[str, str]:
    """This process's environment without C1MOCK_ settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("C1MOCK_")}
    return env | {f"C1MOCK_{k.upper()}": v for k, v in settings.items()}


def _cli(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "c1_mock.cli", *args],
        env=_env(**settings),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def _app(url: str, **overrides: object) -> Iterator[TestClient]:
    settings = Settings(database_url=url, tenant_domain=TENANT, **overrides)  # type: ignore[arg-type]
    with TestClient(create_app(settings), base_url=f"http://{TENANT}") as client:
        yield client


def test_db_upgrade_migrates_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    _cli("db", "upgrade", "--database-url", f"sqlite:///{path}")
    engine = create_engine(f"sqlite:///{path}")
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert tables == set(Base.metadata.tables) | {"alembic_version"}


def test_admin_create_prints_a_working_client_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'admin.db'}"
    done = _cli("admin", "create", "--database-url", url, "--tenant-domain", TENANT)
    printed = json.loads(done.stdout)
    assert printed.keys() == {"clientId", "clientSecret"}
    assert printed["clientId"].endswith(f"@{TENANT}/spc")
    assert done.stdout.count(printed["clientSecret"]) == 1
    assert printed["clientSecret"] not in done.stderr
    cid, secret = printed["clientId"], printed["clientSecret"]
    for client in _app(url, admin_client_id=None, admin_client_secret=None):
        assert token_response(client, secret_form(cid, secret)).status_code == 200
        form = assertion_form(cid, go_assertion(cid, secret))
        assert token_response(client, form).status_code == 200


def test_a_random_seed_with_several_workers_is_refused_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "c1_mock.cli", "serve", "--workers", "2", "--port", "0"],
        env=_env(random_seed="7", database_url=f"sqlite:///{tmp_path / 'seeded.db'}"),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode != 0
    assert done.stderr.strip().count("\n") == 0
    assert "random_seed needs workers=1" in done.stderr
    assert not (tmp_path / "seeded.db").exists()


ENV_ADMIN = "ops-admin-00001@acme.conductor.one/spc"
PLAIN = "a-plain-secret-not-in-c1-format-but-long-enough"


def test_admin_from_the_environment_with_a_plain_secret_works_only_with_client_secret_post(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("C1MOCK_ADMIN_CLIENT_ID", ENV_ADMIN)
    monkeypatch.setenv("C1MOCK_ADMIN_CLIENT_SECRET", PLAIN)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'env.db'}", tenant_domain=TENANT)
    with TestClient(create_app(settings), base_url=f"http://{TENANT}") as client:
        ok = token_response(client, secret_form(ENV_ADMIN, PLAIN))
        assert ok.status_code == 200
        signed = jwt.encode(claims_for(ENV_ADMIN), Ed25519PrivateKey.generate(), "EdDSA")
        hmac = jwt.encode(claims_for(ENV_ADMIN, nonce="h"), PLAIN, "HS256")
        for assertion in (signed, hmac):
            refused = token_response(client, assertion_form(ENV_ADMIN, assertion))
            assert refused.status_code == 401


def _serve(
    tmp_path: Path,
    env: dict[str, str],
    name: str,
    workers: int = 1,
    while_up: Callable[[str], None] = lambda url: None,
) -> tuple[str, str]:
    """Start `c1-mock serve`, wait until healthy, call `while_up(url)`, stop it; returns
    (stdout, stderr) as it printed them."""
    out, err = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
    port = free_port()
    command = ["serve", "--port", str(port), "--workers", str(workers)]
    with out.open("w") as stdout, err.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", CLI, *command], env=env, stdout=stdout, stderr=stderr
        )
        try:
            wait_healthy(f"http://127.0.0.1:{port}", proc)
            while_up(f"http://127.0.0.1:{port}")
        finally:
            proc.terminate()
            proc.wait(30)
    return out.read_text(), err.read_text()


@pytest.mark.process
def test_first_start_prints_one_admin_and_later_starts_say_one_exists_and_how_to_add_one(
    tmp_path: Path,
) -> None:
    env = _env(database_url=f"sqlite:///{tmp_path / 'first.db'}", tenant_domain=TENANT)
    stdout, stderr = _serve(tmp_path, env, "first", workers=2)
    lines = [line for line in stderr.splitlines() if "clientSecret" in line]
    assert len(lines) == 1 and "clientSecret" not in stdout
    assert "admin client" in stderr
    printed = json.loads(lines[0])
    form = secret_form(printed["clientId"], printed["clientSecret"])

    def printed_admin_works(url: str) -> None:
        assert httpx.post(f"{url}/auth/v1/token", data=form).status_code == 200

    again_out, again_err = _serve(tmp_path, env, "again", while_up=printed_admin_works)
    assert "clientSecret" not in again_out + again_err
    assert printed["clientSecret"] not in again_out + again_err
    said = next(line for line in again_err.splitlines() if "admin client:" in line)
    assert printed["clientId"] in said and "already in this database" in said
    assert "c1-mock admin create" in said


@pytest.mark.process
def test_start_with_an_admin_in_the_environment_prints_no_secret(tmp_path: Path) -> None:
    env = _env(
        database_url=f"sqlite:///{tmp_path / 'given.db'}",
        tenant_domain=TENANT,
        admin_client_id=ENV_ADMIN,
        admin_client_secret=PLAIN,
    )
    stdout, stderr = _serve(tmp_path, env, "given")
    assert "clientSecret" not in stdout + stderr
    assert PLAIN not in stdout + stderr


def _refused(tmp_path: Path, *args: str, **settings: str) -> str:
    """`c1-mock serve` that must not start: its one line on stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "c1_mock.cli", "serve", "--port", "0", *args],
        env=_env(database_url=f"sqlite:///{tmp_path / 'refused.db'}", **settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and done.stderr.strip().count("\n") == 0
    return done.stderr


@pytest.mark.parametrize("token", ["", "   "])
def test_an_empty_control_token_is_refused_at_start(tmp_path: Path, token: str) -> None:
    assert "C1MOCK_CONTROL_TOKEN: is empty" in _refused(tmp_path, control_token=token)


def test_admin_list_shows_every_admin_and_revoke_stops_its_tokens(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'admins.db'}"
    made = json.loads(_cli("admin", "create", "--database-url", url, tenant_domain=TENANT).stdout)
    for client in _app(url, admin_client_id=ENV_ADMIN, admin_client_secret=PLAIN):
        token = token_response(client, secret_form(made["clientId"], made["clientSecret"]))
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        assert client.get("/api/v1/iam/tunnel/bridges", headers=headers).status_code == 200
        listed = _cli("admin", "list", "--database-url", url).stdout.splitlines()
        assert {json.loads(line)["clientId"]: json.loads(line)["source"] for line in listed} == {
            made["clientId"]: "cli",
            ENV_ADMIN: "settings",
        }
        assert made["clientSecret"] not in "".join(listed) and PLAIN not in "".join(listed)

        _cli("admin", "revoke", made["clientId"], "--database-url", url)

        assert client.get("/api/v1/iam/tunnel/bridges", headers=headers).status_code == 401
    listed = _cli("admin", "list", "--database-url", url).stdout
    assert made["clientId"] not in listed


def test_admin_revoke_refuses_an_unknown_admin_and_the_settings_own(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'admins.db'}"
    for client_id, env in (("nobody@x/spc", {}), (ENV_ADMIN, {"admin_client_id": ENV_ADMIN})):
        done = subprocess.run(
            [sys.executable, "-m", "c1_mock.cli", "admin", "revoke", client_id],
            env=_env(database_url=url, tenant_domain=TENANT, **env),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode != 0 and "Traceback" not in done.stderr


def test_an_admin_the_settings_no_longer_name_stops_working_at_the_next_start(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'moved.db'}"
    old, new = f"old-admin-00001@{TENANT}/spc", f"new-admin-00001@{TENANT}/spc"
    for client in _app(url, admin_client_id=old, admin_client_secret=PLAIN):
        token = token_response(client, secret_form(old, PLAIN)).json()["access_token"]
    for client in _app(url, admin_client_id=new, admin_client_secret=PLAIN):
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/iam/tunnel/bridges", headers=headers).status_code == 401
        assert token_response(client, secret_form(old, PLAIN)).status_code == 401
        assert client.post("/_mock/reset").status_code == 204
        assert token_response(client, secret_form(old, PLAIN)).status_code == 401
        assert token_response(client, secret_form(new, PLAIN)).status_code == 200


def test_version_is_the_packages() -> None:
    done = _cli("--version")
    assert done.stdout.strip() == f"c1-mock {version('c1-mock')}"


def test_secret_prints_a_new_c1_client_secret_each_time() -> None:
    first, second = _cli("secret").stdout, _cli("secret").stdout
    assert first.count("\n") == 1 and first != second
    assert decode_secret(first.strip()) is not None


def test_every_help_text_is_plain_text() -> None:
    commands = [[], ["serve"], ["db"], ["db", "upgrade"], ["admin"], ["admin", "create"]]
    commands += [["secret"], ["healthcheck"]]
    for command in commands:
        shown = _cli(*command, "--help").stdout
        assert shown.startswith("usage: c1-mock"), command
        assert "`" not in shown, command


@pytest.mark.process
def test_healthcheck_says_what_it_found_at_a_url(tmp_path: Path) -> None:
    env = _env(database_url=f"sqlite:///{tmp_path / 'health.db'}")
    found: list[subprocess.CompletedProcess[str]] = []

    def check(url: str) -> None:
        found.append(_probe("--url", url))

    _serve(tmp_path, env, "health", while_up=check)
    down = _probe("--url", f"http://127.0.0.1:{free_port()}")

    assert found[0].returncode == 0
    assert found[0].stdout.strip().endswith('/healthz: healthy (200 {"status":"ok"})')
    assert down.returncode == 1 and "/healthz: no answer (" in down.stdout
    assert down.stdout.count("\n") == 1


def _probe(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", CLI, "healthcheck", *args]
    return subprocess.run(command, env=_env(), capture_output=True, text=True, timeout=60)
