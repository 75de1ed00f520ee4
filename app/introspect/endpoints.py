"""GET /api/v1/auth/introspect: C1's IntrospectResponse for the caller, admin or tunnel
credential."""

from __future__ import annotations

from typing import Any

from ..request.operations import Caller, Operations
from ..request.unit import Unit
from . import service

operations = Operations(caller=Caller.CLIENT, c1=True, tags=("Auth",))


@operations.get(
    "/api/v1/auth/introspect", "c1.api.auth.v1.Auth.Introspect", permission="AuthIntrospect"
)
def introspect(unit: Unit) -> dict[str, Any]:
    caller = unit.principal
    permissions = unit.server.registry.permissions(
        Caller.ADMIN if caller.is_admin else Caller.CLIENT
    )
    return service.describe(
        caller, tenant_domain=unit.settings.tenant_domain, permissions=permissions
    )
