"""POST /auth/v1/token and GET /auth/v1/jwks."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from app.api.deps import PublicWork, SettingsDep, SignerDep, Unit
from app.config import Settings
from app.db import Database
from app.errors import NO_STORE, OAuthError, invalid_request
from app.jwts import ASSERTION_TYPE
from app.services import clock, guard, tokens
from app.services.tokens import Signer, TokenRequest

router = APIRouter(tags=["Auth"])

MAX_FORM_FIELDS = 16
_FORM_TYPE = "application/x-www-form-urlencoded"


def _form(body: bytes, content_type: str) -> dict[str, str]:
    """The form's fields; RFC 6749 section 3.2: no parameter may be repeated."""
    if content_type.split(";")[0].strip().lower() != _FORM_TYPE:
        raise invalid_request(f"the body must be {_FORM_TYPE}")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            max_num_fields=MAX_FORM_FIELDS,
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError):
        raise invalid_request("the form is not valid UTF-8 url-encoded data") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise invalid_request(f"parameter {name} is repeated")
        fields[name] = value
    return fields


def parse_token_request(body: bytes, content_type: str, authorization: str | None) -> TokenRequest:
    if authorization:
        raise invalid_request(
            "client credentials must be sent in the request body, not the Authorization header"
        )
    fields = _form(body, content_type)
    grant = fields.get("grant_type")
    if not grant:
        raise invalid_request("grant_type is required")
    if grant != "client_credentials":
        raise OAuthError(
            "unsupported_grant_type", "only grant_type=client_credentials is supported"
        )
    client_id = fields.get("client_id")
    if not client_id:
        raise invalid_request("client_id is required")
    secret, assertion = fields.get("client_secret"), fields.get("client_assertion")
    if secret is not None and assertion is not None:
        raise invalid_request("use one client authentication method, not both")
    if assertion is not None and fields.get("client_assertion_type") != ASSERTION_TYPE:
        raise invalid_request(f"client_assertion_type must be {ASSERTION_TYPE}")
    if secret is None and assertion is None:
        raise invalid_request("client_secret or client_assertion is required")
    return TokenRequest(client_id=client_id, client_secret=secret, client_assertion=assertion)


def audiences(tenant_domain: str, host_header: str) -> set[str]:
    """Who an assertion may be addressed to: the tenant domain, or the host the client talked
    to, without its port (as C1's SDKs build `aud`)."""
    names = {tenant_domain, tenant_domain.rsplit(":", 1)[0]}
    if host_header:
        host = host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header
        names.add(host.strip("[]"))
    return names


async def _body(request: Request) -> bytes:
    return await request.body()


@router.post("/auth/v1/token", operation_id="token")
def token(
    request: Request,
    body: Annotated[bytes, Depends(_body)],
    work: PublicWork,
    settings: SettingsDep,
    signer: SignerDep,
) -> JSONResponse:
    """RFC 6749 4.4 client credentials grant, with client_secret_post or private_key_jwt."""
    try:
        with work.begin() as unit:
            answer = _grant(unit, request, body, settings=settings, signer=signer)
    except OAuthError as exc:
        if exc.status == 401:  # a failed client authentication, so the form was parsed
            db: Database = request.app.state.db
            _count_failure(db, client_id=request.state.client_id, settings=settings)
        raise
    return JSONResponse(answer, headers=NO_STORE)


def _grant(
    unit: Unit, request: Request, body: bytes, *, settings: Settings, signer: Signer
) -> dict[str, Any]:
    parsed = parse_token_request(
        body, request.headers.get("content-type", ""), request.headers.get("authorization")
    )
    request.state.client_id = parsed.client_id
    return tokens.issue(
        unit.session,
        request=parsed,
        audiences=audiences(settings.tenant_domain, request.headers.get("host", "")),
        signer=signer,
        settings=settings,
        now=unit.now,
    )


def _count_failure(db: Database, *, client_id: str, settings: Settings) -> None:
    """For the brute-force guard, in a transaction of its own: the request's has rolled back
    (and on SQLite it must have ended, or this one would wait for its write lock)."""
    with db.session(write=True) as session:
        guard.record_failure(
            session, client_id=client_id, window=settings.failed_auth_window, now=clock.now(session)
        )


@router.get("/auth/v1/jwks", operation_id="jwks")
def jwks(work: PublicWork, signer: SignerDep) -> JSONResponse:
    """The public key that signs access tokens (RFC 7517). Its unit of work only answers an
    injected fault, as every operation here does."""
    with work.begin():
        return JSONResponse(signer.jwks())
