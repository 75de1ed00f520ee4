"""GET /api/v1/auth/introspect: C1's IntrospectResponse for the caller."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.api.deps import AnyWork, SettingsDep
from app.services import introspection

router = APIRouter(tags=["Auth"])


@router.get("/api/v1/auth/introspect", operation_id="c1.api.auth.v1.Auth.Introspect")
def introspect(work: AnyWork, settings: SettingsDep) -> JSONResponse:
    with work.begin() as unit:
        assert unit.principal is not None  # AnyWork authenticates the caller
        principal = unit.principal
    return JSONResponse(introspection.describe(principal, tenant_domain=settings.tenant_domain))
