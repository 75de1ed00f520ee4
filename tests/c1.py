"""Test helpers: client assertions built as C1's clients build them, and small API shortcuts."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import jwt

from app.security import decode_secret

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ADMIN_ID = "tester-admin-00001@acme.conductor.one/spc"
TENANT = "acme.conductor.one"


def go_assertion(
    client_id: str, secret: str, aud: str = "acme.conductor.one", **overrides: Any
) -> str:
    """As C1's Go SDK token source signs it: protected header {"alg","nonce"} (no typ), claims
    iss, sub, aud as a one-element array, exp = now+120, nbf = now-120, iat = now; no jti."""
    key = decode_secret(secret)
    assert key is not None
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": client_id,
        "sub": client_id,
        "aud": [aud],
        "exp": now + 120,
        "nbf": now - 120,
        "iat": now,
    }
    claims.update(overrides)
    return jwt.encode(
        claims, key, algorithm="EdDSA", headers={"typ": None, "nonce": secrets.token_hex(16)}
    )


def ts_assertion(client_id: str, secret: str, aud: str = "acme.conductor.one") -> str:
    """As the TypeScript SDK signs it: hex nonce in the header, aud an array, typ JWT."""
    key = decode_secret(secret)
    assert key is not None
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": [aud],
        "iat": now,
        "nbf": now - 120,
        "exp": now + 120,
    }
    return jwt.encode(
        claims, key, algorithm="EdDSA", headers={"typ": "JWT", "nonce": secrets.token_hex(16)}
    )


def py_assertion(client_id: str, secret: str, aud: str = "acme.conductor.one") -> str:
    """As the old Python SDK signs it: nonce in the claims, aud a string."""
    key = decode_secret(secret)
    assert key is not None
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": aud,
        "iat": now,
        "nbf": now - 120,
        "exp": now + 120,
        "nonce": secrets.token_hex(16),
    }
    return jwt.encode(claims, key, algorithm="EdDSA")


def assertion_form(client_id: str, assertion: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }


def secret_form(client_id: str, secret: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
