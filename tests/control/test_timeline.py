"""GET /_mock/bridges/{id}/timeline: one bridge's credentials and what happened to them, by the
server clock, never with a secret."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from c1_mock.testing.client import C1Mock
from tests.contract.openapi import check
from tests.helpers import advance_clock, c1_mock, new_secret

ACTIVE = "TUNNEL_CREDENTIAL_STATUS_ACTIVE"
REVOKED = "TUNNEL_CREDENTIAL_STATUS_REVOKED"
EXPIRED = "TUNNEL_CREDENTIAL_STATUS_EXPIRED"


def _timeline(client: TestClient, bridge_id: str) -> dict[str, Any]:
    response = client.get(f"/_mock/bridges/{bridge_id}/timeline")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = check(response)
    return body


def _events(timeline: dict[str, Any]) -> list[tuple[str, str]]:
    return [(event["event"], event["credentialId"]) for event in timeline["events"]]


def test_a_mint_revokes_the_active_credential_and_the_timeline_shows_both_newest_first(
    client: TestClient, mock: C1Mock, bridge: dict[str, Any]
) -> None:
    first = mock.mint(bridge["id"])
    second = mock.mint(bridge["id"])

    timeline = _timeline(client, bridge["id"])

    assert timeline["bridge"]["displayName"] == "office"
    assert _events(timeline) == [
        ("CREATED", second["id"]),
        ("REVOKED", first["id"]),
        ("CREATED", first["id"]),
    ]
    revoked = mock.state()["credentials"][0]
    assert timeline["events"][1]["time"] == revoked["revokedAt"]
    assert timeline["events"][0]["clientId"] == second["clientId"]
    statuses = [(c["id"], c["credentialStatus"]) for c in timeline["credentials"]]
    assert statuses == [(second["id"], ACTIVE), (first["id"], REVOKED)]
    assert "secret-token:" not in str(timeline)
    assert {c["clientSecret"] for c in timeline["credentials"]} == {""}


def test_a_credential_past_its_lifetime_expires_on_the_timeline_at_its_expiry(
    short_lived: TestClient,
) -> None:
    mock = c1_mock(short_lived)
    bridge = mock.create_bridge("short")
    credential = mock.mint(bridge["id"])
    assert _events(_timeline(short_lived, bridge["id"])) == [("CREATED", credential["id"])]

    advance_clock(short_lived, 61)

    timeline = _timeline(short_lived, bridge["id"])
    assert _events(timeline) == [("EXPIRED", credential["id"]), ("CREATED", credential["id"])]
    assert timeline["events"][0]["time"] == credential["expiresTime"]
    assert timeline["credentials"][0]["credentialStatus"] == EXPIRED


def test_a_credential_seeded_revoked_is_created_before_it_is_revoked(
    client: TestClient, mock: C1Mock
) -> None:
    document = {
        "bridges": [
            {
                "displayName": "seeded",
                "credentials": [
                    {"id": "clever-fox-42195", "clientSecret": new_secret(), "status": REVOKED}
                ],
            }
        ]
    }
    bridge_id = mock.seed(document)["bridges"][0]["id"]

    timeline = _timeline(client, bridge_id)

    assert _events(timeline) == [("REVOKED", "clever-fox-42195"), ("CREATED", "clever-fox-42195")]


def test_the_timeline_holds_only_that_bridges_credentials(
    client: TestClient, mock: C1Mock, bridge: dict[str, Any]
) -> None:
    other = mock.create_bridge("other")
    mock.mint(other["id"])

    timeline = _timeline(client, bridge["id"])

    assert (timeline["credentials"], timeline["events"]) == ([], [])


def test_an_unknown_bridge_has_no_timeline(client: TestClient) -> None:
    response = client.get("/_mock/bridges/2RGdOS94VDferT9e80mdgntl36K/timeline")

    assert response.status_code == 404
    assert check(response)["code"] == 5
