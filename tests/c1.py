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


def _sign(secret: str, claims: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
    key = decode_secret(secret)
    assert key is not None
    return jwt.encode(claims, key, algorithm="EdDSA", headers=headers)


def _claims(client_id: str, aud: str | list[str]) -> dict[str, Any]:
    """What every C1 client signs: iss = sub = client id, iat now, nbf now-120, exp now+120."""
    now = int(time.time())
    return {
        "iss": client_id,
        "sub": client_id,
        "aud": aud,
        "exp": now + 120,
        "nbf": now - 120,
        "iat": now,
    }


def go_assertion(
    client_id: str, secret: str, aud: str = "acme.conductor.one", **overrides: Any
) -> str:
    """As C1's Go SDK token source signs it: protected header {"alg","nonce"} (no typ), claims
    iss, sub, aud as a one-element array, exp = now+120, nbf = now-120, iat = now; no jti."""
    claims = {**_claims(client_id, [aud]), **overrides}
    return _sign(secret, claims, {"typ": None, "nonce": secrets.token_hex(16)})


def ts_assertion(client_id: str, secret: str, aud: str = "acme.conductor.one") -> str:
    """As the TypeScript SDK signs it: hex nonce in the header, aud an array, typ JWT."""
    return _sign(secret, _claims(client_id, [aud]), {"typ": "JWT", "nonce": secrets.token_hex(16)})


def py_assertion(client_id: str, secret: str, aud: str = "acme.conductor.one") -> str:
    """As the old Python SDK signs it: nonce in the claims, aud a string."""
    return _sign(secret, {**_claims(client_id, aud), "nonce": secrets.token_hex(16)})


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
