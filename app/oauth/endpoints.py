"""POST /auth/v1/token and GET /auth/v1/jwks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header

from ..core.errors import ApiError, Dialect
from ..request.operations import Caller, Operations, RawBody
from ..request.unit import Unit
from . import form, service

operations = Operations(caller=Caller.PUBLIC, c1=True, dialect=Dialect.OAUTH, tags=("Auth",))

OptionalHeader = Annotated[str | None, Header()]


@operations.post("/auth/v1/token", "token", no_store=True)
def token(
    unit: Unit,
    body: RawBody,
    content_type: OptionalHeader = None,
    authorization: OptionalHeader = None,
    host: OptionalHeader = None,
) -> dict[str, Any] | ApiError:
    """RFC 6749 4.4 client credentials grant, with client_secret_post or private_key_jwt."""
    request = form.parse(body, content_type or "", authorization)
    unit.client_id = request.client_id
    return service.issue(
        unit.session,
        request=request,
        audiences=audiences(unit.settings.tenant_domain, host or "") | {*unit.settings.audiences},
        signer=unit.server.signer,
        settings=unit.settings,
        now=unit.now,
    )


def audiences(tenant_domain: str, host_header: str) -> set[str]:
    """Who an assertion may be addressed to: the tenant domain, or the host the client talked
    to, without its port (as C1's SDKs build `aud`)."""
    names = {tenant_domain, tenant_domain.rsplit(":", 1)[0]}
    if host_header:
        host = host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header
        names.add(host.strip("[]"))
    return names


@operations.get("/auth/v1/jwks", "jwks", dialect=Dialect.C1)
def jwks(unit: Unit) -> dict[str, Any]:
    """The public key that signs access tokens (RFC 7517). Its unit of work only answers an
    injected fault, as every C1 operation's does."""
    return unit.server.signer.jwks()
