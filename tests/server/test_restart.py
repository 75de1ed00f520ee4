"""A restart of `c1-mock serve` on the same SQLite file keeps credentials, the admin client and
the signing key: tokens issued before still work, and secrets minted before still get tokens."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from c1_mock.testing.process import ServerProcess
from tests.helpers import assertion_form, bearer, go_assertion, secret_form

BRIDGES = "/api/v1/iam/tunnel/bridges"


def _token(url: str, form: dict[str, str]) -> str:
    response = httpx.post(f"{url}/auth/v1/token", data=form)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def _printed_admin(output: str) -> dict[str, str]:
    (line,) = [line for line in output.splitlines() if "clientSecret" in line]
    admin: dict[str, str] = json.loads(line)
    return admin


def _before(url: str, admin: dict[str, str]) -> dict[str, Any]:
    """Mint a credential and collect tokens and keys, as a client would before a restart."""
    admin_token = _token(url, secret_form(admin["clientId"], admin["clientSecret"]))
    headers = bearer(admin_token)
    bridge = httpx.post(f"{url}{BRIDGES}", json={"displayName": "b"}, headers=headers).json()
    minted = httpx.post(f"{url}{BRIDGES}/{bridge['bridge']['id']}/credentials", headers=headers)
    credential = minted.json()["credential"]
    cid, secret = credential["clientId"], credential["clientSecret"]
    return {
        "admin_token": admin_token,
        "tunnel_token": _token(url, assertion_form(cid, go_assertion(cid, secret, "127.0.0.1"))),
        "credential": credential,
        "jwks": httpx.get(f"{url}/auth/v1/jwks").json(),
    }


def _still_works(url: str, admin: dict[str, str], before: dict[str, Any]) -> None:
    bridges = httpx.get(f"{url}{BRIDGES}", headers=bearer(before["admin_token"]))
    assert bridges.status_code == 200 and len(bridges.json()["list"]) == 1
    me = httpx.get(f"{url}/api/v1/auth/introspect", headers=bearer(before["tunnel_token"]))
    assert me.json()["principleId"] == before["credential"]["clientId"]
    cid, secret = before["credential"]["clientId"], before["credential"]["clientSecret"]
    assert _token(url, assertion_form(cid, go_assertion(cid, secret, "127.0.0.1")))
    assert _token(url, secret_form(admin["clientId"], admin["clientSecret"]))
    assert httpx.get(f"{url}/auth/v1/jwks").json() == before["jwks"]


@pytest.mark.process
def test_restart_keeps_credentials_admin_and_signing_key(tmp_path: Path) -> None:
    env = {"C1MOCK_DATABASE_URL": f"sqlite:///{tmp_path / 'kept.db'}"}
    with ServerProcess(env, log_path=tmp_path / "first.log") as first:
        admin = _printed_admin(first.output())
        before = _before(first.url, admin)
    with ServerProcess(env, log_path=tmp_path / "second.log") as second:
        _still_works(second.url, admin, before)
        second.kill()
    with ServerProcess(env, log_path=tmp_path / "third.log") as third:
        _still_works(third.url, admin, before)
    assert "clientSecret" not in second.output() + third.output()
