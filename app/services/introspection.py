"""What Introspect says about a caller: its ids, roles and the permissions it has."""

from __future__ import annotations

from typing import Any

from app.services.clients import ADMIN, Principal

TUNNEL_OPERATIONS = (
    "CreateBridge",
    "ListBridges",
    "GetBridge",
    "UpdateBridge",
    "DeleteBridge",
    "CreateBridgeCredential",
    "ListBridgeCredentials",
    "RevokeBridgeCredential",
    "ListBridgeAnnouncedServices",
)
ADMIN_PERMISSIONS = [f"IamV1TunnelCredentialsService{op}" for op in TUNNEL_OPERATIONS]


def describe(principal: Principal, *, tenant_domain: str) -> dict[str, Any]:
    """IntrospectResponse (`principleId` is C1's spelling). The user id is the client's name."""
    name = principal.client_id.split("@", 1)[0]
    admin = principal.kind == ADMIN
    return {
        "principleId": principal.client_id,
        "userId": name,
        "tenantId": tenant_domain.split(".", 1)[0],
        "roles": ["super_admin"] if admin else ["tunnel_bridge"],
        "permissions": [*ADMIN_PERMISSIONS, "AuthIntrospect"] if admin else ["AuthIntrospect"],
        "features": [],
        "disabledModules": [],
        "deviceClientId": "",
    }
