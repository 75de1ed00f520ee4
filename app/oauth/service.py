"""The token endpoint's behaviour: RFC 6749 4.4 client credentials, with client_secret_post or
RFC 7523 private_key_jwt, behind the brute-force guard."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import CursorResult, Table, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..config import Settings, tenant_of
from ..core.crypto import crypt_context, hash_secret, load_public_key, verify_secret
from ..core.errors import ApiError
from ..core.models import AdminClient, Credential, UsedNonce
from . import clients, guard
from .jwts import JWTRejected, check_assertion, read_header, verified_claims
from .signer import Signer


@dataclass(frozen=True)
class TokenRequest:
    client_id: str
    client_secret: str | None = None
    client_assertion: str | None = None


_PURGE_EVERY = 100

# Verified against when the client is unknown, so that unknown, wrong and right take alike.
_DUMMY_KEY = Ed25519PrivateKey.generate().public_key()


@dataclass(frozen=True)
class _Dummy:
    secret_hash: str
    public_key: str | None


@cache
def _dummy(scheme: str, rounds: int | None) -> _Dummy:
    return _Dummy(hash_secret(crypt_context(scheme, rounds), "dummy-secret"), None)


def issue(
    session: Session,
    *,
    request: TokenRequest,
    address: str,
    audiences: frozenset[str],
    signer: Signer,
    settings: Settings,
    now: datetime,
) -> dict[str, Any] | ApiError:
    """Authenticate the client and answer an access token. A failed authentication is returned
    as invalid_client (or 429, see guard.refuse) with the failure counted for the brute-force
    guard in the same transaction, which the caller commits; a client id under lockout from this
    address raises 429 before any check."""
    limits = {"limit": settings.max_failed_auths, "window": settings.failed_auth_window}
    key = signer.keyed_digest("guard", request.client_id, address)
    guard.check(session, key=key, now=now, **limits)
    wrong_tenant = _other_tenant(request.client_id, settings.tenant_domain)
    record = None if wrong_tenant else clients.find(session, client_id=request.client_id)
    if wrong_tenant or not _authenticated(session, record, request, audiences, settings, now):
        description = wrong_tenant or "client authentication failed"
        return guard.refuse(session, key=key, now=now, description=description, **limits)
    assert record is not None
    token = signer.issue(record.client_id, binding=record.binding, now=now)
    return {"access_token": token, "token_type": "Bearer", "expires_in": signer.lifetime}


# A tenant domain as it may be named back to the client: a host name or address, with a port.
_TENANT = re.compile(r"[A-Za-z0-9.\-\[\]:]{1,253}")


def _other_tenant(client_id: str, tenant_domain: str) -> str:
    """Why a client id of another tenant (`<name>@<tenant>/<kind>`) is refused, or "". Two servers
    with different tenant domains may share a database; each serves only its own clients."""
    tenant = tenant_of(client_id)
    if not tenant or tenant == tenant_domain:
        return ""
    named = f"tenant {tenant!r}" if _TENANT.fullmatch(tenant) else "another tenant"
    return (
        f"the client id belongs to {named}, and this server's tenant domain is "
        f"{tenant_domain!r} (C1MOCK_TENANT_DOMAIN; --self-route makes it the server's address)"
    )


def _authenticated(
    session: Session,
    record: AdminClient | Credential | None,
    request: TokenRequest,
    audiences: frozenset[str],
    settings: Settings,
    now: datetime,
) -> bool:
    """Whether the request proves it holds the client's secret, while the client is usable."""
    target = record or _dummy(settings.secret_hash_scheme, settings.secret_hash_rounds)
    if request.client_assertion is not None:
        ok = _assertion_ok(session, target, request, audiences)
    else:
        context = crypt_context(settings.secret_hash_scheme, settings.secret_hash_rounds)
        ok = verify_secret(context, request.client_secret or "", target.secret_hash)
    if record is None or not ok or not clients.is_usable(record, now):
        return False
    return clients.mark_used(session, record=record, now=now)


def _assertion_ok(
    session: Session,
    target: AdminClient | Credential | _Dummy,
    request: TokenRequest,
    audiences: frozenset[str],
) -> bool:
    assertion = request.client_assertion or ""
    try:
        header = read_header(assertion)
        key = load_public_key(target.public_key) if target.public_key else _DUMMY_KEY
        claims = verified_claims(assertion, key)
        checked = check_assertion(
            header, claims, client_id=request.client_id, audiences=audiences, now=time.time()
        )
    except JWTRejected:
        return False
    if isinstance(target, _Dummy) or not target.public_key:
        return False
    return _use_once(
        session, client_id=request.client_id, keys=checked.replay_keys, expires=checked.expires
    )


# INSERT ... ON CONFLICT DO NOTHING, built once per dialect: a replay inserts no row, which the
# row count tells (kept for an INSERT only when asked). A plain INSERT needed a SAVEPOINT
# around it to survive the IntegrityError: two statements more.
_NONCES = cast(Table, UsedNonce.__table__)
_RECORD_NONCE = {
    name: dialect.insert(_NONCES).on_conflict_do_nothing().execution_options(preserve_rowcount=True)
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}


def _use_once(session: Session, *, client_id: str, keys: list[str], expires: float) -> bool:
    """Record the assertion's nonce/jti; False when one was seen before (a replay). The primary
    key makes this atomic across workers and replicas: of two transactions that insert the same
    key, the second waits for the first and inserts nothing."""
    real_now = datetime.now(UTC)
    if secrets.randbelow(_PURGE_EVERY) == 0:  # now and then, so concurrent purges rarely meet
        session.execute(delete(UsedNonce).where(UsedNonce.expires_at < real_now))
    until = datetime.fromtimestamp(expires, UTC) + timedelta(seconds=60)
    record = _RECORD_NONCE[session.get_bind().dialect.name]
    for key in keys:
        values = {"client_id": client_id, "value": key, "expires_at": until}
        if cast(CursorResult[Any], session.execute(record, values)).rowcount != 1:
            return False
    return True
