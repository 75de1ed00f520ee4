"""PUT /_mock/bridges/{id}/appliance, as GetBridge, ListBridges and ListBridgeAnnouncedServices
report it."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.contract.openapi import check
from tests.helpers import BRIDGES, set_clock, stored

CONNECTED = "TUNNEL_APPLIANCE_STATUS_CONNECTED"
SERVICES = [
    {"name": "web", "port": 443, "servicePath": "/", "serviceType": "http", "transportType": "tcp"},
    {"name": "db", "port": 5432},
]


def _put(client: TestClient, bridge_id: str, body: dict[str, Any]) -> Any:
    return client.put(f"/_mock/bridges/{bridge_id}/appliance", json=body)


def test_a_connected_appliance_shows_in_get_list_and_announced_services(
    client: TestClient, admin: dict[str, str], bridge: dict[str, Any]
) -> None:
    seen = "2030-01-01T00:00:00Z"
    response = _put(
        client,
        bridge["id"],
        {"status": CONNECTED, "lastSeenAt": seen, "announcedServices": SERVICES},
    )

    assert response.status_code == 200, response.text
    assert check(response)["announcedServices"][1]["serviceType"] == ""
    expected = {"status": CONNECTED, "lastSeenAt": seen, "announcedServiceCount": 2, "links": []}
    got = client.get(f"{BRIDGES}/{bridge['id']}", headers=admin)
    assert check(got)["bridge"]["appliance"] == expected
    listed = client.get(BRIDGES, headers=admin)
    assert check(listed)["list"][0]["appliance"] == expected
    services = client.get(f"{BRIDGES}/{bridge['id']}/announced_services", headers=admin)
    assert [s["name"] for s in check(services)["list"]] == ["web", "db"]
    assert check(services)["list"][0] == SERVICES[0]


def test_a_connected_appliance_is_seen_now_by_the_servers_clock(
    client: TestClient, bridge: dict[str, Any]
) -> None:
    set_clock(client, now="2031-05-01T12:00:00Z", frozen=True)

    body = _put(client, bridge["id"], {"status": CONNECTED}).json()

    assert body["lastSeenAt"] == "2031-05-01T12:00:00Z"
    assert body["announcedServices"] == []


def test_a_disconnected_appliance_announces_no_services(
    client: TestClient, admin: dict[str, str], bridge: dict[str, Any]
) -> None:
    _put(client, bridge["id"], {"status": CONNECTED, "announcedServices": SERVICES})

    response = _put(client, bridge["id"], {"status": "TUNNEL_APPLIANCE_STATUS_DISCONNECTED"})

    assert response.status_code == 200
    services = client.get(f"{BRIDGES}/{bridge['id']}/announced_services", headers=admin)
    assert services.json()["list"] == []
    got = client.get(f"{BRIDGES}/{bridge['id']}", headers=admin).json()["bridge"]["appliance"]
    assert got["status"] == "TUNNEL_APPLIANCE_STATUS_DISCONNECTED"
    assert got["lastSeenAt"] is not None  # when it was last seen, still


def test_more_than_32_services_are_refused_and_change_nothing(
    client: TestClient, bridge: dict[str, Any]
) -> None:
    before = stored(client)
    many = [{"name": f"s{i}", "port": 1000 + i} for i in range(33)]

    response = _put(client, bridge["id"], {"status": CONNECTED, "announcedServices": many})

    assert response.status_code == 400
    assert check(response)["message"].startswith("announcedServices: ")
    assert stored(client) == before
    assert (
        _put(
            client, bridge["id"], {"status": CONNECTED, "announcedServices": many[:32]}
        ).status_code
        == 200
    )


def test_appliance_of_an_unknown_bridge_is_404(client: TestClient) -> None:
    response = _put(client, "2RGdOS94VDferT9e80mdgntl36K", {"status": CONNECTED})

    assert response.status_code == 404
    assert check(response)["code"] == 5


def test_an_unknown_appliance_status_is_400(client: TestClient, bridge: dict[str, Any]) -> None:
    response = _put(client, bridge["id"], {"status": "ONLINE"})

    assert response.status_code == 400
    assert check(response)["code"] == 3


@pytest.mark.parametrize(
    "body",
    [
        {"status": CONNECTED, "announcedServices": [{"port": 80}]},
        {"status": CONNECTED, "announcedServices": None},
        {"status": CONNECTED, "announcedServices": [{"name": "web", "port": "80"}]},
        {"status": CONNECTED, "lastSeenAt": 1893456000},
    ],
)
def test_an_appliance_body_openapi_yaml_refuses_is_400(
    client: TestClient, bridge: dict[str, Any], body: dict[str, Any]
) -> None:
    response = _put(client, bridge["id"], body)

    assert response.status_code == 400
    assert check(response)["code"] == 3


def test_a_last_seen_before_the_year_1000_keeps_four_digits(
    client: TestClient, bridge: dict[str, Any]
) -> None:
    body = {"status": CONNECTED, "lastSeenAt": "0900-01-01T00:00:00Z"}

    response = _put(client, bridge["id"], body)

    assert check(response)["lastSeenAt"] == "0900-01-01T00:00:00Z"
