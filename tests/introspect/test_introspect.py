"""GET /api/v1/auth/introspect: C1's IntrospectResponse for both kinds of caller."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.helpers import ADMIN_ID, introspect, token_with_secret


def test_introspect_describes_an_admin_client(client: TestClient, admin_token: str) -> None:
    response = introspect(client, admin_token)
    assert response.status_code == 200
    body = response.json()
    assert body["principleId"] == ADMIN_ID
    assert body["userId"] == ADMIN_ID.split("@")[0]
    assert body["tenantId"] == "acme"
    assert "IamV1TunnelCredentialsServiceCreateBridgeCredential" in body["permissions"]
    assert (body["features"], body["disabledModules"], body["deviceClientId"]) == ([], [], "")


def test_introspect_describes_a_tunnel_credential(
    client: TestClient, credential: dict[str, Any]
) -> None:
    token = token_with_secret(client, credential["clientId"], credential["clientSecret"])
    body = introspect(client, token).json()
    assert body["principleId"] == credential["clientId"]
    assert body["userId"] == credential["id"]
    assert body["tenantId"] == "acme"
    assert not [p for p in body["permissions"] if p.startswith("IamV1Tunnel")]
    assert body["roles"] and "super_admin" not in body["roles"]


def test_introspect_without_a_token_is_401(client: TestClient) -> None:
    response = client.get("/api/v1/auth/introspect")
    assert response.status_code == 401
    assert response.json() == {"code": 16, "message": "missing bearer token", "details": []}
