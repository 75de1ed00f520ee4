"""Who may call what, for every operation the app registers: an admin's token every C1 operation,
a tunnel credential's token only those open to any client (Introspect); 401 without a working
token, 404 for unknown ids, 400 for bad bodies, never a 500, and a failed request changes
nothing."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.testclient import TestClient

from c1_mock.request.operations import Caller, Operation
from tests.contract.openapi import check
from tests.helpers import (
    ADMIN_ID,
    BRIDGES,
    TENANT,
    advance_clock,
    bearer,
    create_bridge,
    mint,
    stored,
    token_with_secret,
)

Admin = dict[str, str]
CREDENTIALS = "/api/v1/iam/tunnel/credentials"
# Every write operation takes this body: CreateBridge needs it, the others ignore it.
BODY = {"displayName": "another"}


def _with_a_caller(client: TestClient) -> list[Operation]:
    """The registered operations that need a bearer token."""
    registry = client.app.state.server.registry  # type: ignore[attr-defined]
    return [op for op in registry if op.caller in (Caller.ADMIN, Caller.CLIENT)]


def _path(operation: Operation, credential: dict[str, Any]) -> str:
    """The operation's path for this credential and its bridge (for GetUser, the admin's user)."""
    path = operation.path.replace("{bridge_id}", credential["bridgeId"])
    if path.endswith("/credentials/{id}"):
        return path.replace("{id}", credential["id"])
    if path.startswith("/api/v1/users/"):
        return path.replace("{id}", ADMIN_ID.split("@", 1)[0])
    return path.replace("{id}", credential["bridgeId"])


def _call(client: TestClient, operation: Operation, path: str, headers: Admin) -> Any:
    body = BODY if operation.writes else None
    response = client.request(operation.method, path, json=body, headers=headers)
    check(response)
    return response


def test_every_operation_that_needs_a_token_is_registered_and_documented(
    client: TestClient,
) -> None:
    names = {op.operation_id.rsplit(".", 1)[-1] for op in _with_a_caller(client)}
    assert {"CreateBridgeCredential", "Introspect", "DeleteBridge"} <= names
    assert len(names) >= 10


def test_admin_token_may_call_every_operation(client: TestClient, admin: Admin) -> None:
    for operation in _with_a_caller(client):
        credential = mint(client, admin, create_bridge(client, admin)["id"])
        response = _call(client, operation, _path(operation, credential), admin)
        assert response.status_code == operation.status_code, (operation.path, response.text)


def test_tunnel_token_is_refused_where_only_admins_may_call(
    client: TestClient, admin: Admin, credential: dict[str, Any]
) -> None:
    tunnel = bearer(token_with_secret(client, credential["clientId"], credential["clientSecret"]))
    before = stored(client)
    for operation in _with_a_caller(client):
        response = _call(client, operation, _path(operation, credential), tunnel)
        if operation.caller is Caller.ADMIN:
            assert response.status_code == 403, operation.path
            assert response.json()["code"] == 7
        else:
            assert response.status_code == 200, operation.path
    assert stored(client) == before


def _forged_token(claims: dict[str, Any]) -> str:
    key = Ed25519PrivateKey.generate()
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"typ": "at+jwt", "kid": "x"})


def _bad_headers(admin_token: str) -> list[dict[str, str]]:
    header, claims = (
        jwt.get_unverified_header(admin_token),
        jwt.decode(admin_token, options={"verify_signature": False}),
    )
    unsigned = jwt.encode(claims, None, algorithm="none", headers=header | {"alg": "none"})
    head, body, _ = admin_token.split(".")
    return [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer "},
        {"Authorization": f"Basic {admin_token}"},
        {"Authorization": admin_token},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": f"Bearer {_forged_token(claims)}"},
        {"Authorization": f"Bearer {unsigned}"},
        {"Authorization": f"Bearer {head}.{body}.{'A' * 86}"},
        {"Authorization": f"Bearer {admin_token}x"},
    ]


def test_missing_or_bad_token_is_401_everywhere(
    client: TestClient, admin: Admin, admin_token: str, credential: dict[str, Any]
) -> None:
    before = stored(client)
    for headers in _bad_headers(admin_token):
        for operation in _with_a_caller(client):
            response = _call(client, operation, _path(operation, credential), headers)
            assert response.status_code == 401, (headers, operation.path)
            assert response.json()["code"] == 16
    assert stored(client) == before


def test_token_of_another_server_is_401(client: TestClient, admin: Admin, admin_token: str) -> None:
    claims = jwt.decode(admin_token, options={"verify_signature": False})
    claims |= {"exp": int(time.time()) + 600, "iss": f"https://{TENANT}"}
    response = client.get(BRIDGES, headers=bearer(_forged_token(claims)))
    assert response.status_code == 401


UNKNOWN: list[tuple[str, str]] = [
    ("GET", "/api/v1/users/nobody-00001"),
    ("GET", "/api/v1/users/%00"),
    ("GET", f"/api/v1/users/{'x' * 400}"),
    ("GET", f"{BRIDGES}/2RGdOS94VDferT9e80mdgntl36K"),
    ("PATCH", f"{BRIDGES}/2RGdOS94VDferT9e80mdgntl36K"),
    ("DELETE", f"{BRIDGES}/2RGdOS94VDferT9e80mdgntl36K"),
    ("POST", f"{BRIDGES}/2RGdOS94VDferT9e80mdgntl36K/credentials"),
    ("GET", f"{BRIDGES}/2RGdOS94VDferT9e80mdgntl36K/credentials"),
    ("GET", f"{BRIDGES}/2RGdOS94VDferT9e80mdgntl36K/announced_services"),
    ("DELETE", f"{CREDENTIALS}/clever-fox-42195"),
    ("GET", f"{BRIDGES}/{'x' * 300}"),
    ("DELETE", f"{CREDENTIALS}/%ff%fe"),
]


def test_unknown_bridge_credential_or_user_is_404(client: TestClient, admin: Admin) -> None:
    for method, path in UNKNOWN:
        body = {"displayName": "x"} if method in ("PATCH", "POST") else None
        response = client.request(method, path, json=body, headers=admin)
        check(response)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["code"] == 5


BAD_BODIES: list[tuple[str, Any]] = [
    ("not json", "{"),
    ("array", "[]"),
    ("string", '"x"'),
    ("null name", '{"displayName": null}'),
    ("number name", '{"displayName": 5}'),
    ("object name", '{"displayName": {"a": 1}}'),
    ("empty name", '{"displayName": ""}'),
    ("blank name", '{"displayName": "   "}'),
    ("long name", '{"displayName": "' + "n" * 513 + '"}'),
    ("long description", '{"displayName": "n", "description": "' + "d" * 4097 + '"}'),
    ("number description", '{"displayName": "n", "description": 1}'),
    ("bad utf-8", b'{"displayName": "\xff"}'),
    ("deep", "[" * 5000 + "]" * 5000),
]


def test_bad_create_bridge_body_is_400_and_creates_nothing(
    client: TestClient, admin: Admin
) -> None:
    before = stored(client)
    headers = admin | {"Content-Type": "application/json"}
    for name, body in BAD_BODIES:
        response = client.post(BRIDGES, content=body, headers=headers)
        assert response.status_code == 400, (name, response.text)
        assert check(response)["code"] == 3
    assert stored(client) == before


@pytest.mark.parametrize("body", ["{", "[]", '"x"', "5"])
def test_bad_body_on_body_less_operations_is_400_and_changes_nothing(
    client: TestClient, admin: Admin, credential: dict[str, Any], body: str
) -> None:
    before = stored(client)
    headers = admin | {"Content-Type": "application/json"}
    bridge_id = credential["bridgeId"]
    for method, path in [
        ("POST", f"{BRIDGES}/{bridge_id}/credentials"),
        ("DELETE", f"{CREDENTIALS}/{credential['id']}"),
        ("DELETE", f"{BRIDGES}/{bridge_id}"),
    ]:
        response = client.request(method, path, content=body, headers=headers)
        assert response.status_code == 400, (method, path, response.text)
        assert check(response)["code"] == 3
    assert stored(client) == before


def test_body_over_the_limit_is_413(client: TestClient, admin: Admin) -> None:
    body = '{"displayName": "' + "n" * (1024 * 1024) + '"}'
    response = client.post(BRIDGES, content=body, headers=admin)
    assert response.status_code == 413
    assert check(response)["code"] == 3


def test_a_tunnel_token_cannot_mint_for_its_own_bridge(
    client: TestClient, admin: Admin, credential: dict[str, Any]
) -> None:
    tunnel = bearer(token_with_secret(client, credential["clientId"], credential["clientSecret"]))
    response = client.post(f"{BRIDGES}/{credential['bridgeId']}/credentials", headers=tunnel)
    assert check(response)["code"] == 7
    other = create_bridge(client, admin, "other")
    assert mint(client, admin, other["id"])["credentialStatus"].endswith("ACTIVE")


def test_access_token_past_its_lifetime_is_401(client: TestClient, admin: Admin) -> None:
    assert client.get(BRIDGES, headers=admin).status_code == 200
    advance_clock(client, 3601)
    response = client.get(BRIDGES, headers=admin)
    assert response.status_code == 401
    assert check(response)["code"] == 16
