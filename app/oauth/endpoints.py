"""POST /auth/v1/token and GET /auth/v1/jwks."""

from __future__ import annotations

from typing import Any

from ..config import Settings
from ..core.errors import ApiError, Dialect
from ..request.operations import Caller, Operations
from ..request.unit import Facts, Later, Server, Unit
from . import form, service
from .service import TokenRequest, Verified

operations = Operations(caller=Caller.PUBLIC, c1=True, dialect=Dialect.OAUTH, tags=("Auth",))


def read(server: Server, facts: Facts) -> tuple[TokenRequest, Verified | None] | None:
    """Before the write turn: the form, and its assertion checked early (service.verify_early);
    None for a form that is refused, which the unit then refuses."""
    try:
        request = form.parse(facts.body, facts.content_type, facts.authorization)
    except ApiError:
        return None
    return request, service.verify_early(request)


@operations.post("/auth/v1/token", "token", no_store=True, inline=True, prepare=read)
def token(unit: Unit) -> Later | ApiError:
    """RFC 6749 4.4 client credentials grant, with client_secret_post or private_key_jwt."""
    facts = unit.facts
    request, verified = unit.prepared or (
        form.parse(facts.body, facts.content_type, facts.authorization),
        None,
    )
    unit.client_id = request.client_id
    issued = service.issue(
        unit.connection,
        request=request,
        address=facts.address,
        audiences=audiences(unit.settings),
        signer=unit.server.signer,
        settings=unit.settings,
        now=unit.now,
        verified=verified,
    )
    if isinstance(issued, ApiError):
        return issued
    signer = unit.server.signer
    return Later(lambda: issued.response(signer))  # signed after the commit, outside the turn


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
