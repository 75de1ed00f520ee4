"""The server's access tokens: EdDSA JWTs (RFC 9068 `at+jwt`) signed with a key created on first
start and kept in the database, so that tokens survive restarts and resets and every worker and
replica signs alike; its public half is served at /auth/v1/jwks (RFC 7517)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.crypto import (
    b64url,
    load_private_key,
    new_private_key,
    private_key_text,
    public_key_text,
)
from ..core.ids import Random
from ..core.models import SigningKey
from .jwts import (
    ACCESS_TOKEN_TYPE,
    BINDING_CLAIM,
    AccessToken,
    JWTRejected,
    check_access_token,
    read_header,
    verified_claims,
)


class Signer:
    """The server's access-token key, loaded once per process."""

    def __init__(
        self, kid: str, private_key: str, issuer: str, random: Random, *, lifetime: int
    ) -> None:
        self.kid = kid
        self.issuer = issuer
        self.lifetime = lifetime
        self._key = load_private_key(private_key)
        self._secret = private_key.encode()
        self._public = self._key.public_key()
        self._random = random
        # Checking the signature cost more than the rest of an API request's checks; a token
        # seen before is looked up instead (its claims still meet the clock at every request,
        # and its client the database). A token that fails is not kept.
        self._verified = lru_cache(maxsize=4096)(self._verify)

    def keyed_digest(self, purpose: str, *parts: str) -> str:
        """A digest of `parts` under a key derived from the signing key for `purpose`: the same in
        every worker and replica, and of no use to anyone who reads it without that key."""
        key = hmac.new(self._secret, purpose.encode(), hashlib.sha256).digest()
        message = "\x00".join(parts).encode("utf-8", "surrogatepass")
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def jwks(self) -> dict[str, Any]:
        return {"keys": [_jwk_of(self._key, self.kid)]}

    def issue(self, client_id: str, *, binding: str, now: datetime) -> str:
        """An access token for the client record with this binding, valid from `now`."""
        iat = int(now.timestamp())
        claims = {
            "iss": self.issuer,
            "sub": client_id,
            "aud": self.issuer,
            "client_id": client_id,
            BINDING_CLAIM: binding,
            "iat": iat,
            "nbf": iat,
            "exp": iat + self.lifetime,
            "jti": b64url(self._random.bytes(16)),
        }
        headers = {"kid": self.kid, "typ": ACCESS_TOKEN_TYPE}
        return jwt.encode(claims, self._key, algorithm="EdDSA", headers=headers)

    def verify(self, token: str, *, now: datetime) -> AccessToken:
        """Who an access token of ours was issued to, while it is valid at `now`."""
        header, claims = self._verified(token)
        return check_access_token(
            header, claims, issuer=self.issuer, lifetime=self.lifetime, now=now
        )

    def subject(self, token: str) -> str:
        """The client a token of ours was issued to, valid or not any more; "" for anything not
        signed by this key."""
        try:
            _, claims = self._verified(token)
        except JWTRejected:
            return ""
        sub = claims.get("sub")
        return sub if isinstance(sub, str) else ""

    def _verify(self, token: str) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        return MappingProxyType(read_header(token)), MappingProxyType(
            verified_claims(token, self._public)
        )


def load_signer(
    session: Session, *, tenant_domain: str, lifetime: int, random: Random, now: datetime
) -> Signer:
    """The stored signing key, created on first use."""
    row = session.scalar(select(SigningKey).order_by(SigningKey.created_at).limit(1))
    if row is None:
        key = new_private_key(random)
        row = SigningKey(
            kid=public_key_text(key)[:16], private_key=private_key_text(key), created_at=now
        )
        session.add(row)
        session.flush()
    issuer = f"https://{tenant_domain}"
    return Signer(row.kid, row.private_key, issuer, random, lifetime=lifetime)


def _jwk_of(key: Ed25519PrivateKey, kid: str) -> dict[str, str]:
    """The public JWK (RFC 8037)."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": public_key_text(key),
        "kid": kid,
        "alg": "EdDSA",
        "use": "sig",
    }
