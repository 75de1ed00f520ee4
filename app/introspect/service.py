"""What Introspect says about a caller: its ids, roles and the permissions it has."""

from __future__ import annotations

from typing import Any

from ..oauth.clients import Principal


def describe(principal: Principal, *, tenant_domain: str, permissions: list[str]) -> dict[str, Any]:
    """IntrospectResponse (`principleId` is C1's spelling). The user id is the client's name."""
    name = principal.client_id.split("@", 1)[0]
    return {
        "principleId": principal.client_id,
        "userId": name,
        "tenantId": tenant_domain.split(".", 1)[0],
        "roles": ["super_admin"] if principal.is_admin else ["tunnel_bridge"],
        "permissions": permissions,
        "features": [],
        "disabledModules": [],
        "deviceClientId": "",
    }
