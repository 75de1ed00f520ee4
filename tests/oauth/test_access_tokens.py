"""What an access token is good for: the client record it was issued to (a credential or admin
replaced under the same client id does not revive it), within the lifetime the server issues,
never from the future, and only on the tenant the client id names."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from starlette.testclient import TestClient

from c1_mock.config import Settings
from c1_mock.core.crypto import load_private_key
from c1_mock.oauth.jwts import BINDING_CLAIM
from tests.helpers import (
    ADMIN_ID,
    BRIDGES,
    TENANT,
    bearer,
    in_process,
    introspect,
    new_secret,
    rows,
    secret_form,
    set_clock,
    token_response,
    token_with_secret,
)

Credential = dict[str, Any]
BRIDGE_ID = "2RGdOS94VDferT9e80mdgntl36K"


def _seed(client: TestClient, secret: str, status: str = "TUNNEL_CREDENTIAL_STATUS_ACTIVE") -> None:
    credential = {"id": "calm-yak-00001", "clientSecret": secret, "status": status}
    document = {"bridges": [{"id": BRIDGE_ID, "displayName": "b", "credentials": [credential]}]}
    assert client.post("/_mock/seed", json=document).status_code == 200


SEEDED = f"calm-yak-00001@{TENANT}/tcc"


def test_a_credential_reseeded_with_another_secret_does_not_revive_its_old_token(
    client: TestClient,
) -> None:
    _seed(client, first := new_secret())
    token = token_with_secret(client, SEEDED, first)
    _seed(client, first, "TUNNEL_CREDENTIAL_STATUS_REVOKED")
    assert introspect(client, token).status_code == 401

    _seed(client, new_secret())  # the same client id, ACTIVE again, with another key

    assert introspect(client, token).status_code == 401


def test_a_deleted_bridges_credential_seeded_again_does_not_revive_its_old_token(
    client: TestClient, admin: dict[str, str]
) -> None:
    _seed(client, secret := new_secret())
    token = token_with_secret(client, SEEDED, secret)
    assert client.delete(f"{BRIDGES}/{BRIDGE_ID}", headers=admin).status_code == 200

    _seed(client, secret)  # the very same credential, made again

    assert introspect(client, token).status_code == 401
    assert introspect(client, token_with_secret(client, SEEDED, secret)).status_code == 200


def test_a_seeded_admin_removed_by_reset_and_seeded_again_does_not_revive_its_token(
    client: TestClient,
) -> None:
    seeded_admin, secret = f"seeded-admin-00001@{TENANT}/spc", new_secret()
    document = {"admins": [{"clientId": seeded_admin, "clientSecret": secret}]}
    assert client.post("/_mock/seed", json=document).status_code == 200
    token = token_with_secret(client, seeded_admin, secret)
    assert client.post("/_mock/reset").status_code == 204

    assert client.post("/_mock/seed", json=document).status_code == 200

    assert client.get(BRIDGES, headers=bearer(token)).status_code == 401


def test_an_admin_of_the_settings_keeps_its_tokens_across_restarts(settings: Settings) -> None:
    with in_process(settings) as first:
        token = token_with_secret(first, ADMIN_ID, settings.admin_client_secret or "")
    with in_process(settings) as again:
        assert again.get(BRIDGES, headers=bearer(token)).status_code == 200


def test_a_token_whose_binding_is_not_its_clients_is_refused(
    client: TestClient, settings: Settings
) -> None:
    token = token_with_secret(client, ADMIN_ID, settings.admin_client_secret or "")
    forged = _signed_by_the_server(settings, jwt.decode(token, options={"verify_signature": False}))
    assert client.get(BRIDGES, headers=bearer(forged)).status_code == 200  # the same claims

    for binding in ("another", None):
        claims = jwt.decode(token, options={"verify_signature": False})
        claims[BINDING_CLAIM] = binding
        claims = {k: v for k, v in claims.items() if v is not None}
        response = client.get(BRIDGES, headers=bearer(_signed_by_the_server(settings, claims)))
        assert response.status_code == 401


def _signed_by_the_server(settings: Settings, claims: dict[str, Any]) -> str:
    """A token signed with the server's own key, read from its database (as only someone who can
    read the database could)."""
    ((kid, private_key),) = [row[:2] for row in rows(settings.database_url, "signing_keys")]
    headers = {"kid": kid, "typ": "at+jwt"}
    return jwt.encode(claims, load_private_key(private_key), algorithm="EdDSA", headers=headers)


@pytest.mark.parametrize(
    ("change", "works"),
    [
        ({}, True),
        ({"exp": 3600 + 60}, False),  # exp - iat beyond the lifetime the server issues
        ({"iat": 60, "nbf": 60}, False),  # issued a minute ahead of the server's clock
        ({"iat": 4, "nbf": 4}, True),  # within the leeway
        ({"nbf": 60}, False),  # valid only from a minute on
        ({"iat": None}, False),
    ],
)
def test_token_times_are_bounded_when_it_is_used(
    client: TestClient, settings: Settings, change: dict[str, int | None], works: bool
) -> None:
    token = token_with_secret(client, ADMIN_ID, settings.admin_client_secret or "")
    claims = jwt.decode(token, options={"verify_signature": False})
    now = int(time.time())
    claims |= {"iat": now, "nbf": now, "exp": now + 3600}
    for name, offset in change.items():
        claims[name] = None if offset is None else now + offset
    claims = {k: v for k, v in claims.items() if v is not None}

    response = client.get(BRIDGES, headers=bearer(_signed_by_the_server(settings, claims)))

    assert response.status_code == (200 if works else 401)


def test_a_token_issued_under_an_advanced_clock_ends_when_the_clock_goes_back(
    client: TestClient, settings: Settings
) -> None:
    set_clock(client, advance=600)
    token = token_with_secret(client, ADMIN_ID, settings.admin_client_secret or "")
    assert client.get(BRIDGES, headers=bearer(token)).status_code == 200

    assert client.delete("/_mock/clock").status_code == 200

    assert client.get(BRIDGES, headers=bearer(token)).status_code == 401


def test_tokens_issued_for_longer_than_the_lifetime_now_set_are_refused(
    settings: Settings,
) -> None:
    with in_process(settings) as long_lived:
        token = token_with_secret(long_lived, ADMIN_ID, settings.admin_client_secret or "")
    with in_process(settings, token_lifetime=60) as short_lived:
        assert short_lived.get(BRIDGES, headers=bearer(token)).status_code == 401


def test_a_client_id_of_another_tenant_is_refused_naming_both_tenants(
    settings: Settings, credential: Credential
) -> None:
    other = "127.0.0.1:8443"
    with in_process(settings, tenant_domain=other, admin_client_id=None) as moved:
        response = token_response(
            moved, secret_form(credential["clientId"], credential["clientSecret"])
        )

    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "invalid_client"
    assert TENANT in body["error_description"] and other in body["error_description"]
    assert credential["clientSecret"] not in body["error_description"]


def test_a_settings_admin_of_another_tenant_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="tenant"):
        Settings(tenant_domain="other.conductor.one", admin_client_id=ADMIN_ID)
