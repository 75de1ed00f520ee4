"""Small shortcuts for the API tests: assertions with arbitrary claims, token requests, minting."""

from __future__ import annotations

import secrets
import time
from typing import Any

import httpx
import jwt
from starlette.testclient import TestClient

from app.security import decode_secret
from tests.c1 import assertion_form, bearer, secret_form
from tests.openapi_contract import check

BRIDGES = "/api/v1/iam/tunnel/bridges"


def claims_for(client_id: str, aud: Any = "acme.conductor.one", **overrides: Any) -> dict[str, Any]:
    """Claims as C1's Go SDK sets them; an override of None removes the claim."""
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": aud, "exp": now + 120}
    claims |= {"nbf": now - 120, "iat": now}
    claims |= overrides
    return {k: v for k, v in claims.items() if v is not None}


def sign(secret: str, claims: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
    """An EdDSA JWS over `claims` with the key inside a C1 client secret."""
    key = decode_secret(secret)
    assert key is not None
    header = {"typ": None, "nonce": secrets.token_hex(16)} if headers is None else headers
    return jwt.encode(claims, key, algorithm="EdDSA", headers=header)


def token_response(client: TestClient, form: dict[str, str], **kwargs: Any) -> httpx.Response:
    """POST /auth/v1/token, checked against openapi.yaml."""
    response = client.post("/auth/v1/token", data=form, **kwargs)
    check(response)
    return response


def token_with_secret(client: TestClient, client_id: str, secret: str) -> str:
    response = token_response(client, secret_form(client_id, secret))
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def token_with_assertion(client: TestClient, client_id: str, assertion: str) -> httpx.Response:
    return token_response(client, assertion_form(client_id, assertion))


def mint(client: TestClient, admin: dict[str, str], bridge_id: str) -> dict[str, Any]:
    response = client.post(f"{BRIDGES}/{bridge_id}/credentials", json={}, headers=admin)
    body = check(response)
    assert response.status_code == 200, response.text
    credential: dict[str, Any] = body["credential"]
    return credential


def create_bridge(
    client: TestClient, admin: dict[str, str], name: str = "bridge", description: str = ""
) -> dict[str, Any]:
    response = client.post(
        BRIDGES, json={"displayName": name, "description": description}, headers=admin
    )
    body = check(response)
    assert response.status_code == 200, response.text
    bridge: dict[str, Any] = body["bridge"]
    return bridge


def list_credentials(client: TestClient, admin: dict[str, str], bridge_id: str) -> list[Any]:
    response = client.get(f"{BRIDGES}/{bridge_id}/credentials", headers=admin)
    body = check(response)
    assert response.status_code == 200, response.text
    items: list[Any] = body["list"]
    return items


def introspect(client: TestClient, token: str) -> httpx.Response:
    response = client.get("/api/v1/auth/introspect", headers=bearer(token))
    check(response)
    return response


def advance_clock(client: TestClient, seconds: float) -> None:
    """Move the server's virtual clock forward (control plane, POST /_mock/clock)."""
    response = client.post("/_mock/clock", json={"advance": seconds})
    check(response)
    assert response.status_code == 200, response.text
