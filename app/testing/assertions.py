"""Client assertions (RFC 7523) signed as C1's own clients sign them, for tests that talk to the
token endpoint the way those clients do: iss = sub = the client id, `aud` the host name the client
talks to (without its port), iat now, nbf two minutes before, exp two minutes after, and a single-
use nonce. The clients differ in where they put the nonce and how they write `aud`."""

from __future__ import annotations

import secrets
import time
from typing import Any

import jwt

from ..core.crypto import decode_secret
from ..oauth.jwts import ASSERTION_TYPE


def claims(client_id: str, audience: Any, **overrides: Any) -> dict[str, Any]:
    """What every C1 client signs; an override of None removes that claim."""
    now = int(time.time())
    signed = {"iss": client_id, "sub": client_id, "aud": audience}
    signed |= {"exp": now + 120, "nbf": now - 120, "iat": now, **overrides}
    return {name: value for name, value in signed.items() if value is not None}


def sign(secret: str, claims: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
    """An EdDSA JWS over `claims` with the key inside a C1 client secret; by default with the
    protected header of C1's Go SDK (`alg` and a hex `nonce`, no `typ`)."""
    key = decode_secret(secret)
    if key is None:
        raise ValueError("not a C1 client secret (secret-token:conductorone.com:v1:...)")
    if headers is None:
        headers = {"typ": None, "nonce": secrets.token_hex(16)}
    return jwt.encode(claims, key, algorithm="EdDSA", headers=headers)


def go_sdk(client_id: str, secret: str, audience: str, **overrides: Any) -> str:
    """As C1's Go SDK (and so `cone` and baton connectors) signs it: header {"alg","nonce"},
    `aud` a one-element array, no jti."""
    return sign(secret, claims(client_id, [audience], **overrides))


def typescript_sdk(client_id: str, secret: str, audience: str) -> str:
    """As C1's TypeScript SDK signs it: a hex nonce in the header beside typ JWT, `aud` an array."""
    headers = {"typ": "JWT", "nonce": secrets.token_hex(16)}
    return sign(secret, claims(client_id, [audience]), headers)


def python_sdk(client_id: str, secret: str, audience: str) -> str:
    """As C1's old Python SDK signs it: the nonce in the claims, `aud` a string."""
    signed = claims(client_id, audience, nonce=secrets.token_hex(16))
    return sign(secret, signed, {"typ": "JWT"})


def form(client_id: str, assertion: str) -> dict[str, str]:
    """The token request of a client that authenticates with `assertion` (private_key_jwt)."""
    return {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }
