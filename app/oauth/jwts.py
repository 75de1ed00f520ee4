"""Strict checks of the two kinds of JWT the server reads: client assertions (RFC 7523) and its
own access tokens. Everything is refused before decoding unless it is a small compact JWS with a
JSON header that asks for EdDSA and nothing else (no `crit`, no embedded or remote keys, no JWE).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..core.crypto import b64url_decode

ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105  (RFC 9068)
# The private claim of our access tokens that names the client record they were issued to.
BINDING_CLAIM = "c1mock_binding"
MAX_JWT_LENGTH = 4096
LEEWAY_SECONDS = 30
MAX_ASSERTION_LIFETIME = 300  # exp at most 5 minutes ahead
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_FORBIDDEN_HEADERS = {"crit", "jwk", "jku", "x5c", "x5u", "x5t", "x5t#S256", "enc", "zip", "b64"}
_jws = jwt.PyJWS(algorithms=["EdDSA"])
_KID = re.compile(r"[A-Za-z0-9_-]{1,128}")


class JWTRejected(Exception):
    """Why a JWT was refused; never shown to clients in detail."""


def _strict_json(data: bytes) -> Any:
    def no_constants(name: str) -> None:
        raise JWTRejected(f"non-finite number {name}")

    try:
        return json.loads(data, parse_constant=no_constants)
    except (ValueError, RecursionError) as exc:
        raise JWTRejected("not JSON") from exc


def _object(segment: str) -> dict[str, Any]:
    try:
        raw = b64url_decode(segment)
    except ValueError as exc:
        raise JWTRejected("bad base64url") from exc
    value = _strict_json(raw)
    if not isinstance(value, dict):
        raise JWTRejected("not a JSON object")
    return value


def read_header(token: str) -> dict[str, Any]:
    """The protected header of a token that passes the shape checks."""
    if not isinstance(token, str) or len(token) > MAX_JWT_LENGTH:
        raise JWTRejected("too long")
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise JWTRejected("not a compact JWS")
    header = _object(parts[0])
    if header.get("alg") != "EdDSA":
        raise JWTRejected("algorithm not allowed")
    if _FORBIDDEN_HEADERS & header.keys():
        raise JWTRejected("header parameter not allowed")
    # The key is found by client id, never by kid; a kid that is not a plain base64url name
    # (paths, SQL, URLs) is an injection attempt and refused outright.
    if "kid" in header and not (isinstance(header["kid"], str) and _KID.fullmatch(header["kid"])):
        raise JWTRejected("kid not allowed")
    return header


def verified_claims(token: str, key: Ed25519PublicKey) -> dict[str, Any]:
    """Check the signature with `key` (EdDSA only) and return the claims."""
    try:
        payload = _jws.decode_complete(token, key=key, algorithms=["EdDSA"])["payload"]
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise JWTRejected("bad signature") from exc
    claims = _strict_json(payload)
    if not isinstance(claims, dict):
        raise JWTRejected("claims not an object")
    return claims


def _number(claims: Mapping[str, Any], name: str, *, required: bool) -> float | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise JWTRejected(f"{name} is not a number")
    return float(value)


@dataclass(frozen=True)
class Assertion:
    replay_keys: list[str]  # "nonce:<v>" / "jti:<v>", each usable once
    expires: float


def check_assertion(
    header: dict[str, Any],
    claims: dict[str, Any],
    *,
    client_id: str,
    audiences: frozenset[str],
    now: float,
) -> Assertion:
    """RFC 7523 section 3 as C1's SDKs use it; `now` is real time (clients sign with theirs)."""
    if header.get("typ") == ACCESS_TOKEN_TYPE:
        raise JWTRejected("an access token is not an assertion")
    if not (claims.get("iss") == claims.get("sub") == client_id):
        raise JWTRejected("iss/sub mismatch")
    aud = claims.get("aud")
    aud_list = [aud] if isinstance(aud, str) else aud
    if not isinstance(aud_list, list) or len(aud_list) != 1 or aud_list[0] not in audiences:
        raise JWTRejected("wrong audience")
    exp = _number(claims, "exp", required=True)
    assert exp is not None
    if exp <= now - LEEWAY_SECONDS or exp > now + MAX_ASSERTION_LIFETIME + LEEWAY_SECONDS:
        raise JWTRejected("expired or too long lived")
    for name in ("nbf", "iat"):
        value = _number(claims, name, required=False)
        if value is not None and value > now + LEEWAY_SECONDS:
            raise JWTRejected(f"{name} in the future")
    return Assertion(_replay_keys(header, claims), exp)


def _replay_keys(header: dict[str, Any], claims: dict[str, Any]) -> list[str]:
    keys = []
    for kind, value in (
        ("nonce", header.get("nonce")),
        ("nonce", claims.get("nonce")),
        ("jti", claims.get("jti")),
    ):
        if value is None:
            continue
        if not isinstance(value, str) or not 0 < len(value) <= 256 or not value.isprintable():
            raise JWTRejected(f"bad {kind}")
        keys.append(f"{kind}:{value}")
    if not keys:
        raise JWTRejected("no nonce or jti")
    return sorted(set(keys))


@dataclass(frozen=True)
class AccessToken:
    """Who an access token of ours was issued to: the client, and the binding of the client
    record it was issued to (a client replaced under the same id has another)."""

    client_id: str
    binding: str


# How far ahead of the server clock an access token's iat or nbf may lie.
ACCESS_TOKEN_LEEWAY = 5


def check_access_token(
    header: Mapping[str, Any],
    claims: Mapping[str, Any],
    *,
    issuer: str,
    lifetime: int,
    now: datetime,
) -> AccessToken:
    """An access token of ours, valid at `now` (server, possibly virtual, time): not expired, not
    issued for longer than `lifetime` seconds (the setting as it is now), and not issued or valid
    only in the future (a virtual clock that went back ends tokens issued ahead of it)."""
    if header.get("typ") != ACCESS_TOKEN_TYPE or claims.get("iss") != issuer:
        raise JWTRejected("not one of our access tokens")
    exp, iat = _number(claims, "exp", required=True), _number(claims, "iat", required=True)
    nbf = _number(claims, "nbf", required=False)
    assert exp is not None and iat is not None
    if exp <= now.timestamp() or exp - iat > lifetime:
        raise JWTRejected("expired, or issued for longer than tokens live")
    if max(iat, nbf or iat) > now.timestamp() + ACCESS_TOKEN_LEEWAY:
        raise JWTRejected("issued in the future")
    sub, binding = claims.get("sub"), claims.get(BINDING_CLAIM)
    if not (isinstance(sub, str) and sub and isinstance(binding, str) and binding):
        raise JWTRejected("no subject or binding")
    return AccessToken(sub, binding)
