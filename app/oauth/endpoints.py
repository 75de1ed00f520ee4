"""POST /auth/v1/token and GET /auth/v1/jwks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header, Request

from ..config import Settings
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
    http: Request,
    content_type: OptionalHeader = None,
    authorization: OptionalHeader = None,
) -> dict[str, Any] | ApiError:
    """RFC 6749 4.4 client credentials grant, with client_secret_post or private_key_jwt."""
    request = form.parse(body, content_type or "", authorization)
    unit.client_id = request.client_id
    return service.issue(
        unit.session,
        request=request,
        address=http.client.host if http.client else "",
        audiences=audiences(unit.settings),
        signer=unit.server.signer,
        settings=unit.settings,
        now=unit.now,
    )


LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def audiences(settings: Settings) -> frozenset[str]:
    """Who an assertion may be addressed to, as C1's SDKs write `aud` (the host they talk to,
    without its port): the tenant domain's host, the loopback names, and C1MOCK_AUDIENCES. Never
    a name taken from the request, which a client chooses."""
    return LOOPBACK | {_host(settings.tenant_domain), *settings.audiences}


def _host(domain: str) -> str:
    """The host of a `host[:port]` tenant domain, without an IPv6 address's brackets."""
    if domain.startswith("["):
        return domain[1:].split("]", 1)[0]
    return domain.rsplit(":", 1)[0]


@operations.get("/auth/v1/jwks", "jwks", dialect=Dialect.C1)
def jwks(unit: Unit) -> dict[str, Any]:
    """The public key that signs access tokens (RFC 7517). Its unit of work only answers an
    injected fault, as every C1 operation's does."""
    return unit.server.signer.jwks()
