"""GET /api/v1/auth/introspect: C1's IntrospectResponse for both kinds of caller."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from c1_mock.config import Settings
from tests.helpers import ADMIN_ID, ADMIN_SECRET, in_process, introspect, token_with_secret


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


@pytest.mark.parametrize(
    ("changes", "tenant_id"),
    [
        ({"tenant_domain": "acme.conductor.one"}, "acme"),
        ({"tenant_domain": "umbrella.example.com"}, "umbrella"),
        ({"self_route": True, "host": "0.0.0.0", "port": 8443}, "127.0.0.1:8443"),
        ({"self_route": True, "host": "::1", "port": 9443}, "[::1]:9443"),
        ({"tenant_domain": "10.0.0.5"}, "10.0.0.5"),
        ({"tenant_domain": "localhost:8443"}, "localhost:8443"),
    ],
)
def test_tenant_id_is_the_first_label_of_a_name_and_the_whole_domain_of_an_address(
    settings: Settings, changes: dict[str, Any], tenant_id: str
) -> None:
    # Built anew, not copied: self-routing sets the tenant domain when settings are validated;
    # the admin is one of that tenant.
    values = {**settings.model_dump(), **changes, "admin_client_id": None}
    tenant = Settings(**values).tenant_domain
    admin_id = f"tester-admin-00001@{tenant}/spc"
    changed = Settings(**{**values, "admin_client_id": admin_id})
    with in_process(changed) as client:
        admin_token = token_with_secret(client, admin_id, ADMIN_SECRET)
        first = introspect(client, admin_token).json()
        again = introspect(client, admin_token).json()

    assert first["tenantId"] == again["tenantId"] == tenant_id
