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

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Table, bindparam, delete
from sqlalchemy.dialects import postgresql, sqlite

from ..config import Settings, tenant_of
from ..core import driver
from ..core.crypto import crypt_context, hash_secret, load_public_key, verify_secret
from ..core.errors import ApiError
from ..core.models import UsedNonce
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
    db: driver.On,
    *,
    request: TokenRequest,
    address: str,
    audiences: frozenset[str],
    signer: Signer,
    settings: Settings,
    now: datetime,
    verified: Verified | None = None,
) -> Issued | ApiError:
    """Authenticate the client, to be answered an access token. A failed authentication is returned
    as invalid_client (or 429, see guard.refuse) with the failure counted for the brute-force
    guard in the same transaction, which the caller commits; a client id under lockout from this
    address raises 429 before any check. `verified`: its assertion, checked early."""
    connection = driver.on(db)
    limits = {"limit": settings.max_failed_auths, "window": settings.failed_auth_window}
    key = signer.keyed_digest("guard", request.client_id, address)
    guard.check(connection, key=key, now=now, **limits)
    wrong_tenant = _other_tenant(request.client_id, settings.tenant_domain)
    record = None if wrong_tenant else clients.find(connection, client_id=request.client_id)
    proven = not wrong_tenant and _authenticated(
        connection, record, request, audiences, settings, now, verified
    )
    if not proven:
        description = wrong_tenant or "client authentication failed"
        return guard.refuse(connection, key=key, now=now, description=description, **limits)
    assert record is not None
    return Issued(record.client_id, record.binding, now)


@dataclass(frozen=True)
class Issued:
    """An authenticated client, to be answered an access token bound to its record."""

    client_id: str
    binding: str
    now: datetime

    def response(self, signer: Signer) -> dict[str, Any]:
        """The token response: signing needs no database, so it may wait for the commit."""
        token = signer.issue(self.client_id, binding=self.binding, now=self.now)
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
    connection: driver.Connection,
    record: clients.Client | None,
    request: TokenRequest,
    audiences: frozenset[str],
    settings: Settings,
    now: datetime,
    verified: Verified | None,
) -> bool:
    """Whether the request proves it holds the client's secret, while the client is usable."""
    target = record or _dummy(settings.secret_hash_scheme, settings.secret_hash_rounds)
    if request.client_assertion is not None:
        ok = _assertion_ok(connection, target, request, audiences, verified)
    else:
        context = crypt_context(settings.secret_hash_scheme, settings.secret_hash_rounds)
        ok = verify_secret(context, request.client_secret or "", target.secret_hash)
    if record is None or not ok or not record.is_usable(now):
        return False
    return clients.mark_used(connection, client=record, now=now)


@dataclass(frozen=True)
class Verified:
    """A client assertion whose signature was checked before its unit ran, with the public key
    this process last found stored for its client."""

    assertion: str
    public_key: str
    header: dict[str, Any]
    claims: dict[str, Any]


# Client id -> the public key (as stored, and loaded) that this process last verified one of its
# assertions with. A hint, not state: it lets `verify_early` check a signature before the write
# turn, and the unit uses that check only when the key is still the one the database holds.
_KEYS_SEEN: dict[str, tuple[str, Ed25519PublicKey]] = {}
_KEYS_SEEN_MAX = 4096


def verify_early(request: TokenRequest) -> Verified | None:
    """The request's assertion checked against the key its client last had here, or None (no
    assertion, a client not seen yet, or a signature that does not verify with that key)."""
    seen = _KEYS_SEEN.get(request.client_id)
    if request.client_assertion is None or seen is None:
        return None
    try:
        header = read_header(request.client_assertion)
        claims = verified_claims(request.client_assertion, seen[1])
    except JWTRejected:
        return None
    return Verified(request.client_assertion, seen[0], header, claims)


def _seen(client_id: str, public_key: str, key: Ed25519PublicKey) -> None:
    if len(_KEYS_SEEN) >= _KEYS_SEEN_MAX and client_id not in _KEYS_SEEN:
        _KEYS_SEEN.clear()
    _KEYS_SEEN[client_id] = (public_key, key)


def _assertion_ok(
    connection: driver.Connection,
    target: clients.Client | _Dummy,
    request: TokenRequest,
    audiences: frozenset[str],
    verified: Verified | None,
) -> bool:
    assertion = request.client_assertion or ""
    try:
        if (
            verified
            and verified.assertion == assertion
            and verified.public_key == target.public_key
        ):
            header, claims = verified.header, verified.claims
        else:
            header = read_header(assertion)
            key = load_public_key(target.public_key) if target.public_key else _DUMMY_KEY
            claims = verified_claims(assertion, key)
            if isinstance(target, clients.Client) and target.public_key:
                _seen(target.client_id, target.public_key, key)
        checked = check_assertion(
            header, claims, client_id=request.client_id, audiences=audiences, now=time.time()
        )
    except JWTRejected:
        return False
    if isinstance(target, _Dummy) or not target.public_key:
        return False
    return _use_once(
        connection, client_id=request.client_id, keys=checked.replay_keys, expires=checked.expires
    )


# INSERT ... ON CONFLICT DO NOTHING, built once per dialect and run on the driver: a replay
# inserts no row, which the row count tells.
_NONCES = cast(Table, UsedNonce.__table__)
_RECORD_NONCE = {
    name: driver.Statement(
        dialect.insert(_NONCES)
        .values(driver.binds(_NONCES, "client_id", "value", "expires_at"))
        .on_conflict_do_nothing()
    )
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}
_PURGE = driver.Statement(delete(_NONCES).where(_NONCES.c.expires_at < bindparam("now")))


def _use_once(
    connection: driver.Connection, *, client_id: str, keys: list[str], expires: float
) -> bool:
    """Record the assertion's nonce/jti; False when one was seen before (a replay). The primary
    key makes this atomic across workers and replicas: of two transactions that insert the same
    key, the second waits for the first and inserts nothing."""
    real_now = datetime.now(UTC)
    if secrets.randbelow(_PURGE_EVERY) == 0:  # now and then, so concurrent purges rarely meet
        _PURGE.count(connection, {"now": real_now})
    until = datetime.fromtimestamp(expires, UTC) + timedelta(seconds=60)
    record = _RECORD_NONCE[connection.name]
    for key in keys:
        values = {"client_id": client_id, "value": key, "expires_at": until}
        if record.count(connection, values) != 1:
            return False
    return True
