"""GET /api/v1/auth/introspect: C1's IntrospectResponse for the caller."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.api.deps import AnyPrincipal, SettingsDep
from app.services import introspection

router = APIRouter(tags=["Auth"])


@router.get("/api/v1/auth/introspect", operation_id="c1.api.auth.v1.Auth.Introspect")
def introspect(principal: AnyPrincipal, settings: SettingsDep) -> dict[str, Any]:
    return introspection.describe(principal, tenant_domain=settings.tenant_domain)
