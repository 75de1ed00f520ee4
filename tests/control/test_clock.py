"""The virtual clock: GET/POST/DELETE /_mock/clock, and the server's time following it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from c1_mock.config import Settings
from tests.contract.openapi import check
from tests.helpers import BRIDGES, assertion_form, bearer, go_assertion, secret_form, set_clock

Y2030 = "2030-01-01T00:00:00Z"


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_the_clock_is_real_time_until_changed(client: TestClient) -> None:
    response = client.get("/_mock/clock")

    body = check(response)
    assert body["virtual"] is False and body["frozen"] is False
    assert abs(_parse(body["now"]) - datetime.now(UTC)) < timedelta(minutes=1)


def test_a_frozen_clock_set_to_a_time_stays_there(client: TestClient) -> None:
    set_clock(client, now=Y2030, frozen=True)

    first, second = client.get("/_mock/clock").json(), client.get("/_mock/clock").json()

    assert first["now"] == second["now"] == Y2030
    assert first["frozen"] is True and first["virtual"] is True


def test_advance_moves_the_clock_by_the_seconds_given(client: TestClient) -> None:
    set_clock(client, now=Y2030, frozen=True)

    moved = set_clock(client, advance=90.5)

    assert moved["now"] == "2030-01-01T00:01:30.500Z"
    assert set_clock(client, advance=-90.5)["now"] == Y2030


def test_a_clock_let_run_again_runs_on_from_where_it_stood(client: TestClient) -> None:
    set_clock(client, now=Y2030, frozen=True)

    running = set_clock(client, frozen=False)

    assert running["frozen"] is False
    assert timedelta(0) <= _parse(running["now"]) - _parse(Y2030) < timedelta(minutes=1)
    assert running["offsetSeconds"] > 0


def test_delete_returns_the_clock_to_real_time(client: TestClient) -> None:
    set_clock(client, advance=7 * 86400)

    response = client.delete("/_mock/clock")

    assert response.status_code == 200
    assert check(response)["virtual"] is False
    assert client.get("/_mock/clock").json()["offsetSeconds"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"now": "2030-01-01T00:00:00"},
        {"now": "tomorrow"},
        {"advance": "1e400"},
        {"advance": 1e12},
        {"speed": 2},
        {"frozen": None},
        {"frozen": "true"},
        {"advance": True},
        {"now": 1893456000},
        {"now": "0001-01-01T00:00:00+01:00"},
        {"now": "0999-12-31T23:59:59Z", "frozen": True},
        {"now": "8999-12-31T00:00:00Z", "advance": 86400},
    ],
)
def test_a_bad_clock_change_is_400_and_changes_nothing(client: TestClient, body: Any) -> None:
    response = client.post("/_mock/clock", json=body)

    assert response.status_code == 400
    assert check(response)["code"] == 3
    assert client.get("/_mock/clock").json()["virtual"] is False


def test_timestamps_the_server_writes_follow_the_clock(
    client: TestClient, settings: Settings
) -> None:
    set_clock(client, now=Y2030, frozen=True)

    token = client.post("/auth/v1/token", data=_admin_form(settings)).json()["access_token"]
    created = client.post(BRIDGES, json={"displayName": "x"}, headers=bearer(token))
    assert created.json()["bridge"]["createdAt"] == Y2030


def test_a_credential_expires_when_the_clock_passes_its_lifetime(
    client: TestClient, admin: dict[str, str], credential: dict[str, Any], settings: Settings
) -> None:
    set_clock(client, advance=settings.credential_lifetime + 1)

    url = f"{BRIDGES}/{credential['bridgeId']}/credentials"
    admin_now = bearer(
        client.post("/auth/v1/token", data=_admin_form(settings)).json()["access_token"]
    )
    listed = client.get(url, headers=admin_now).json()["list"]
    assert listed[0]["credentialStatus"] == "TUNNEL_CREDENTIAL_STATUS_EXPIRED"
    form = secret_form(credential["clientId"], credential["clientSecret"])
    assert client.post("/auth/v1/token", data=form).status_code == 401


def _admin_form(settings: Settings) -> dict[str, str]:
    assert settings.admin_client_id and settings.admin_client_secret
    return secret_form(settings.admin_client_id, settings.admin_client_secret)


def test_an_access_token_expires_when_the_clock_passes_its_lifetime(
    client: TestClient, admin: dict[str, str], settings: Settings
) -> None:
    assert client.get(BRIDGES, headers=admin).status_code == 200

    set_clock(client, advance=settings.token_lifetime + 1)

    expired = client.get(BRIDGES, headers=admin)
    assert expired.status_code == 401 and expired.json()["code"] == 16
    fresh = client.post("/auth/v1/token", data=_admin_form(settings)).json()["access_token"]
    assert client.get(BRIDGES, headers=bearer(fresh)).status_code == 200


def test_client_assertions_stay_checked_against_real_time(
    client: TestClient, credential: dict[str, Any]
) -> None:
    client_id, secret = credential["clientId"], credential["clientSecret"]
    set_clock(client, advance=86400)

    signed_now = go_assertion(client_id, secret)
    assert (
        client.post("/auth/v1/token", data=assertion_form(client_id, signed_now)).status_code == 200
    )

    tomorrow = int(datetime.now(UTC).timestamp()) + 86400
    by_the_virtual_clock = go_assertion(
        client_id, secret, iat=tomorrow, nbf=tomorrow - 120, exp=tomorrow + 120
    )
    form = assertion_form(client_id, by_the_virtual_clock)
    assert client.post("/auth/v1/token", data=form).status_code == 401
