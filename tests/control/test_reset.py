"""POST /_mock/reset and GET /_mock/state."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from c1_mock.config import Settings
from tests.contract.openapi import check
from tests.helpers import (
    ADMIN_ID,
    ADMIN_SECRET,
    BRIDGES,
    add_fault,
    assertion_form,
    bearer,
    go_assertion,
    new_secret,
    requests,
    rows,
    secret_form,
    set_clock,
    state,
)

SEED_ADMIN = "seeded-admin-00001@acme.conductor.one/spc"


def _fill_every_table(
    client: TestClient, admin: dict[str, str], credential: dict[str, Any]
) -> None:
    client_id, secret = credential["clientId"], credential["clientSecret"]
    ok = client.post(
        "/auth/v1/token", data=assertion_form(client_id, go_assertion(client_id, secret))
    )
    assert ok.status_code == 200  # leaves a used nonce
    bad = client.post("/auth/v1/token", data=secret_form(client_id, "wrong"))
    assert bad.status_code == 401  # leaves an auth failure
    add_fault(client, operation="GetBridge")
    set_clock(client, advance=60)
    seed_secret = new_secret()
    doc = {"admins": [{"clientId": SEED_ADMIN, "clientSecret": seed_secret}]}
    assert client.post("/_mock/seed", json=doc).status_code == 200


def test_reset_removes_bridges_credentials_journal_faults_nonces_failures_and_seeded_admins(
    client: TestClient, admin: dict[str, str], credential: dict[str, Any], settings: Settings
) -> None:
    _fill_every_table(client, admin, credential)

    response = client.post("/_mock/reset")

    assert response.status_code == 204
    check(response)
    after = state(client)
    assert after["bridges"] == [] and after["credentials"] == []
    assert [c["clientId"] for c in after["clients"]] == [ADMIN_ID]
    assert client.get("/_mock/faults").json() == {"faults": []}
    assert client.get("/_mock/clock").json()["virtual"] is False
    for table in ("bridges", "tunnel_credentials", "journal_entries", "faults"):
        assert rows(settings.database_url, table) == [], table
    for table in ("used_nonces", "auth_failures", "clock_state"):
        assert rows(settings.database_url, table) == [], table


def test_reset_keeps_the_signing_key_so_a_settings_admin_token_from_before_still_works(
    client: TestClient, admin: dict[str, str], bridge: dict[str, Any]
) -> None:
    keys = client.get("/auth/v1/jwks").json()

    assert client.post("/_mock/reset").status_code == 204

    assert client.get("/auth/v1/jwks").json() == keys
    listed = client.get(BRIDGES, headers=admin)
    assert listed.status_code == 200
    assert listed.json()["list"] == []


def test_token_of_a_credential_removed_by_reset_stops_working(
    client: TestClient, credential: dict[str, Any]
) -> None:
    form = secret_form(credential["clientId"], credential["clientSecret"])
    token = client.post("/auth/v1/token", data=form).json()["access_token"]

    client.post("/_mock/reset")

    assert client.get("/api/v1/auth/introspect", headers=bearer(token)).status_code == 401
    assert client.post("/auth/v1/token", data=form).status_code == 401


def test_reset_leaves_the_journal_empty_and_then_journals_again(
    client: TestClient, admin: dict[str, str]
) -> None:
    client.get(BRIDGES, headers=admin)

    client.post("/_mock/reset")

    assert requests(client) == []
    client.get(BRIDGES, headers=admin)
    assert [e["operationId"].rsplit(".")[-1] for e in requests(client)] == ["ListBridges"]


def test_state_shows_bridges_credentials_and_clients_as_the_api_does_but_no_secret(
    client: TestClient, admin: dict[str, str], credential: dict[str, Any]
) -> None:
    shown = state(client)

    assert [b["id"] for b in shown["bridges"]] == [credential["bridgeId"]]
    [stored] = shown["credentials"]
    listed = client.get(f"{BRIDGES}/{credential['bridgeId']}/credentials", headers=admin).json()
    assert stored == listed["list"][0]
    assert stored["clientSecret"] == ""
    assert shown["clients"][0]["clientId"] == ADMIN_ID
    text = client.get("/_mock/state").text
    assert credential["clientSecret"] not in text
    assert ADMIN_SECRET not in text
    assert "secret-token:" not in text
