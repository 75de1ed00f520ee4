"""C1's published Python SDK (`conductorone-sdk`, pinned in pyproject.toml) as a client of a
live c1-mock.

Version 0.17.2 has no client-credentials helper of its own and no Tunnel operations (checked
below, so that a new pin with them fails here until they are called). The token is obtained as
C1's Python SDK documents it: an EdDSA assertion signed with the secret's key, with the nonce in
the claims and `aud` a string (tests/c1.py py_assertion), posted to /auth/v1/token; the SDK then
sends it as its bearer token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conductorone_sdk import SDK
from conductorone_sdk.models import errors, shared

from c1_mock.testing.process import ServerProcess
from tests.helpers import assertion_form, bearer, new_secret, py_assertion

ADMIN_ID = "sandbox-admin-00001@acme.conductor.one/spc"
ADMIN_SECRET = new_secret()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("sdk")
    env = {
        "C1MOCK_DATABASE_URL": f"sqlite:///{home / 'db.sqlite'}",
        "C1MOCK_TENANT_DOMAIN": "acme.conductor.one",
        "C1MOCK_ADMIN_CLIENT_ID": ADMIN_ID,
        "C1MOCK_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
    }
    with ServerProcess(env, log_path=home / "serve.log") as running:
        yield running


def token(server: ServerProcess, client_id: str, secret: str) -> str:
    assertion = py_assertion(client_id, secret, aud="127.0.0.1")
    response = httpx.post(f"{server.url}/auth/v1/token", data=assertion_form(client_id, assertion))
    assert response.status_code == 200, response.text
    access_token: str = response.json()["access_token"]
    return access_token


def sdk(server: ServerProcess, access_token: str) -> SDK:
    return SDK(
        server_url=server.url,
        security=shared.Security(bearer_auth=access_token, oauth=access_token),
    )


@pytest.mark.process
def test_sdk_introspects_as_the_admin_client(server: ServerProcess) -> None:
    with sdk(server, token(server, ADMIN_ID, ADMIN_SECRET)) as client:
        answer = client.auth.introspect()
    assert answer.status_code == 200
    assert isinstance(answer.introspect_response, shared.IntrospectResponse)
    assert answer.introspect_response.principle_id == ADMIN_ID
    assert answer.introspect_response.user_id


@pytest.mark.process
def test_sdk_gets_the_user_introspect_names_as_a_typed_service_user(server: ServerProcess) -> None:
    with sdk(server, token(server, ADMIN_ID, ADMIN_SECRET)) as client:
        me = client.auth.introspect().introspect_response
        assert me is not None and me.user_id
        answer = client.user.get(request={"id": me.user_id})
    response = answer.user_service_get_response
    assert response is not None and response.user_view is not None
    user = response.user_view.user
    assert isinstance(user, shared.User)
    assert (user.id, user.type, user.status) == (me.user_id, "USER_TYPE_SERVICE", "ENABLED")
    assert user.created_at is not None and user.created_at.tzinfo is not None


def mint(server: ServerProcess) -> dict[str, Any]:
    admin = bearer(token(server, ADMIN_ID, ADMIN_SECRET))
    with httpx.Client(base_url=server.url, headers=admin) as api:
        bridge = api.post("/api/v1/iam/tunnel/bridges", json={"displayName": "sdk"}).json()
        minted = api.post(f"/api/v1/iam/tunnel/bridges/{bridge['bridge']['id']}/credentials")
    credential: dict[str, Any] = minted.json()["credential"]
    return credential


@pytest.mark.process
def test_sdk_introspects_as_a_minted_tunnel_credential(server: ServerProcess) -> None:
    credential = mint(server)
    with sdk(server, token(server, credential["clientId"], credential["clientSecret"])) as client:
        answer = client.auth.introspect()
    assert answer.introspect_response is not None
    assert answer.introspect_response.principle_id == credential["clientId"]
    assert isinstance(answer.introspect_response.roles, list)


@pytest.mark.process
def test_sdk_gets_a_401_sdk_error_once_the_credential_is_revoked(server: ServerProcess) -> None:
    credential = mint(server)
    access_token = token(server, credential["clientId"], credential["clientSecret"])
    admin = bearer(token(server, ADMIN_ID, ADMIN_SECRET))
    revoked = httpx.delete(
        f"{server.url}/api/v1/iam/tunnel/credentials/{credential['id']}", headers=admin
    )
    assert revoked.status_code == 200, revoked.text
    with pytest.raises(errors.SDKError) as refused, sdk(server, access_token) as client:
        client.auth.introspect()
    assert refused.value.status_code == 401


def test_this_sdk_version_has_no_tunnel_operations() -> None:
    """If a newer pin brings the Tunnel service, this fails: then call each operation above."""
    names = [name for name in dir(SDK) if "tunnel" in name.lower()]
    modules = [path for path, _ in SDK._sub_sdk_map.values() if "tunnel" in path.lower()]
    assert (names, modules) == ([], [])
