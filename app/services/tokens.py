"""The token endpoint's behaviour (RFC 6749 4.4 client credentials, with client_secret_post or
RFC 7523 private_key_jwt) and the checks of the access tokens it issues."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Any, cast

from sqlalchemy import CursorResult, Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app import ids
from app.config import Settings
from app.errors import Unauthenticated, invalid_client
from app.jwts import JWTRejected, check_access_token, check_assertion, read_header, verified_claims
from app.models import AdminClient, Credential, SigningKey, UsedNonce
from app.security import (
    b64url,
    crypt_context,
    hash_secret,
    jwk_of,
    load_private_key,
    load_public_key,
    new_private_key,
    private_key_text,
    public_key_text,
    sign_access_token,
    verify_secret,
)
from app.services import clients, guard
from app.services.clients import Principal


@dataclass(frozen=True)
class TokenRequest:
    client_id: str
    client_secret: str | None = None
    client_assertion: str | None = None


class Signer:
    """The server's access-token key, loaded once per process."""

    def __init__(self, kid: str, private_key: str, issuer: str) -> None:
        self.kid = kid
        self.issuer = issuer
        self._key = load_private_key(private_key)
        self._public = self._key.public_key()
        # Checking the signature cost more than the rest of an API request's checks; a token
        # seen before is looked up instead (its claims still meet the clock at every request,
        # and its client the database). A token that fails is not kept.
        self._verified = lru_cache(maxsize=4096)(self._verify)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [jwk_of(self._key, self.kid)]}

    def issue(self, client_id: str, *, now: datetime, lifetime: int) -> str:
        iat = int(now.timestamp())
        claims = {
            "iss": self.issuer,
            "sub": client_id,
            "aud": self.issuer,
            "client_id": client_id,
            "iat": iat,
            "nbf": iat,
            "exp": iat + lifetime,
            "jti": b64url(ids.random_bytes(16)),
        }
        return sign_access_token(self._key, self.kid, claims)

    def client_id_of(self, token: str, *, now: datetime) -> str:
        header, claims = self._verified(token)
        return check_access_token(header, claims, issuer=self.issuer, now=now)

    def _verify(self, token: str) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        return MappingProxyType(read_header(token)), MappingProxyType(
            verified_claims(token, self._public)
        )


def load_signer(session: Session, *, settings: Settings, now: datetime) -> Signer:
    """The stored signing key, created on first use (tokens survive restarts and resets)."""
    row = session.scalar(select(SigningKey).order_by(SigningKey.created_at).limit(1))
    if row is None:
        key = new_private_key()
        row = SigningKey(
            kid=public_key_text(key)[:16], private_key=private_key_text(key), created_at=now
        )
        session.add(row)
        session.flush()
    return Signer(row.kid, row.private_key, f"https://{settings.tenant_domain}")


_PURGE_EVERY = 100

# Verified against when the client is unknown, so that unknown, wrong and right take alike.
_DUMMY_KEY = new_private_key().public_key()


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
    audiences: set[str],
    signer: Signer,
    settings: Settings,
    now: datetime,
) -> dict[str, Any]:
    """Authenticate the client and answer an access token; every failure is invalid_client.
    A client id under brute-force lockout gets 429 before any check (app.services.guard)."""
    guard.check(
        session,
        client_id=request.client_id,
        limit=settings.max_failed_auths,
        window=settings.failed_auth_window,
        now=now,
    )
    record = clients.find(session, client_id=request.client_id)
    target = (
        record
        if record is not None
        else _dummy(settings.secret_hash_scheme, settings.secret_hash_rounds)
    )
    if request.client_assertion is not None:
        ok = _assertion_ok(session, target, request, audiences)
    else:
        context = crypt_context(settings.secret_hash_scheme, settings.secret_hash_rounds)
        ok = verify_secret(context, request.client_secret or "", target.secret_hash)
    if record is None or not ok or not clients.is_usable(record, now):
        raise invalid_client()
    if not clients.mark_used(session, record=record, now=now):
        raise invalid_client()
    token = signer.issue(record.client_id, now=now, lifetime=settings.token_lifetime)
    return {"access_token": token, "token_type": "Bearer", "expires_in": settings.token_lifetime}


def _assertion_ok(
    session: Session,
    target: AdminClient | Credential | _Dummy,
    request: TokenRequest,
    audiences: set[str],
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


def authenticate_bearer(
    session: Session, *, token: str, signer: Signer, now: datetime
) -> Principal:
    """The principal behind an access token, while its client is still usable."""
    try:
        client_id = signer.client_id_of(token, now=now)
    except JWTRejected:
        raise Unauthenticated("invalid or expired access token") from None
    record = clients.find(session, client_id=client_id)
    if record is None or not clients.is_usable(record, now):
        raise Unauthenticated("invalid or expired access token")
    return clients.principal(record)
