"""What Introspect says about a caller: its ids, roles and the permissions it has."""

from __future__ import annotations

import ipaddress
from typing import Any

from ..oauth.clients import Principal
from ..users.service import user_id_of


def describe(principal: Principal, *, tenant_domain: str, permissions: list[str]) -> dict[str, Any]:
    """IntrospectResponse (`principleId` is C1's spelling). An admin's userId is the id of the
    user GetUser shows for it; a tunnel credential, which is no user, gives its credential id."""
    return {
        "principleId": principal.client_id,
        "userId": user_id_of(principal.client_id),
        "tenantId": tenant_id(tenant_domain),
        "roles": ["super_admin"] if principal.is_admin else ["tunnel_bridge"],
        "permissions": permissions,
        "features": [],
        "disabledModules": [],
        "deviceClientId": "",
    }


def tenant_id(tenant_domain: str) -> str:
    """The tenant's name: the first label of `<tenant>.conductor.one`; for a tenant domain that
    is an address (an IP address, or any host with a port, as self-routing makes it) the whole
    domain, since its first label ("127") names nothing."""
    if tenant_domain.startswith("[") or tenant_domain.count(":") == 1:
        return tenant_domain
    try:
        ipaddress.ip_address(tenant_domain)
    except ValueError:
        return tenant_domain.split(".", 1)[0]
    return tenant_domain
