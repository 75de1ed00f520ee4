"""Faults: POST/GET/DELETE /_mock/faults, answered before anything changes state."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from c1_mock.testing.process import ServerProcess
from tests.contract.openapi import check
from tests.helpers import (
    ADMIN_ID,
    ADMIN_SECRET,
    BRIDGES,
    TENANT,
    add_fault,
    assertion_form,
    bearer,
    c1_mock,
    go_assertion,
    requests,
    secret_form,
    served_env,
    stored,
)

OP = "c1.api.iam.v1.TunnelCredentialsService."


def test_a_fault_answers_its_status_with_the_c1_error_body_times_times_then_lets_requests_pass(
    client: TestClient, admin: dict[str, str]
) -> None:
    add_fault(client, operation="ListBridges", status=503, times=2, retryAfter=7)

    answers = [client.get(BRIDGES, headers=admin) for _ in range(3)]

    assert [a.status_code for a in answers] == [503, 503, 200]
    assert answers[0].json() == {"code": 14, "message": "injected fault", "details": []}
    assert answers[0].headers["Retry-After"] == "7"
    assert client.get("/_mock/faults").json() == {"faults": []}


def test_a_jwks_fault_answers_the_c1_error_body(client: TestClient) -> None:
    add_fault(client, operation="jwks", status=503)

    answers = [client.get("/auth/v1/jwks") for _ in range(2)]

    assert [a.status_code for a in answers] == [503, 200]
    assert answers[0].json() == {"code": 14, "message": "injected fault", "details": []}


def test_a_request_whose_body_is_refused_uses_no_fault(
    client: TestClient, admin: dict[str, str]
) -> None:
    add_fault(client, operation="CreateBridge", status=503)

    refused = client.post(BRIDGES, json={"displayName": 7}, headers=admin)
    faulted = client.post(BRIDGES, json={"displayName": "x"}, headers=admin)

    assert (refused.status_code, faulted.status_code) == (400, 503)


def test_a_token_endpoint_fault_answers_the_rfc6749_body_with_its_error(
    client: TestClient, credential: dict[str, Any]
) -> None:
    add_fault(client, operation="token", status=400, error="invalid_grant")
    add_fault(client, operation="token", status=401)
    client_id = credential["clientId"]
    assertion = go_assertion(client_id, credential["clientSecret"])

    first = client.post("/auth/v1/token", data=assertion_form(client_id, assertion))
    second = client.post("/auth/v1/token", data=assertion_form(client_id, assertion))

    assert (first.status_code, first.json()["error"]) == (400, "invalid_grant")
    assert (second.status_code, second.json()["error"]) == (401, "invalid_client")
    assert first.headers["Cache-Control"] == "no-store"
    # The faulted requests consumed nothing: the same assertion's nonce is still unused.
    again = client.post("/auth/v1/token", data=assertion_form(client_id, assertion))
    assert again.status_code == 200


def test_a_faulted_mint_creates_nothing(
    client: TestClient, admin: dict[str, str], credential: dict[str, Any]
) -> None:
    add_fault(client, operation=OP + "CreateBridgeCredential", status=500)
    before = stored(client)

    response = client.post(
        f"{BRIDGES}/{credential['bridgeId']}/credentials", json={}, headers=admin
    )

    assert response.status_code == 500
    assert response.json()["code"] == 13
    assert stored(client) == before


@pytest.mark.parametrize(("status", "code"), [(429, 8), (504, 4), (502, 2), (404, 5)])
def test_a_fault_carries_the_grpc_code_of_its_status(
    client: TestClient, admin: dict[str, str], status: int, code: int
) -> None:
    add_fault(client, operation="ListBridges", status=status)

    response = client.get(BRIDGES, headers=admin)

    assert (response.status_code, response.json()["code"]) == (status, code)
    assert "Retry-After" not in response.headers


def test_a_fault_applies_to_its_operation_only(
    client: TestClient, admin: dict[str, str], bridge: dict[str, Any]
) -> None:
    add_fault(client, operation="GetBridge")

    assert client.get(BRIDGES, headers=admin).status_code == 200
    assert client.get(f"{BRIDGES}/{bridge['id']}", headers=admin).status_code == 503
    assert client.get(f"{BRIDGES}/{bridge['id']}", headers=admin).status_code == 200


def test_a_delayed_fault_answers_after_its_delay(client: TestClient, admin: dict[str, str]) -> None:
    add_fault(client, operation="ListBridges", status=503, delayMs=150)

    assert client.get(BRIDGES, headers=admin).status_code == 503

    [entry] = requests(client, operationId="ListBridges")
    assert entry["latencyMs"] >= 150  # asyncio.sleep never returns before its delay


def test_faults_are_listed_with_what_is_left_and_cleared(client: TestClient) -> None:
    fault = add_fault(client, operation="Introspect", times=3, delayMs=5, retryAfter=1)

    listed = client.get("/_mock/faults")
    assert check(listed) == {"faults": [fault]}
    assert fault["remaining"] == 3 and fault["operation"] == "Introspect"

    assert client.delete("/_mock/faults").status_code == 204
    assert client.get("/_mock/faults").json() == {"faults": []}


def test_one_fault_is_cleared_by_its_id_and_the_others_stay_armed(
    client: TestClient, admin: dict[str, str]
) -> None:
    kept = add_fault(client, operation="ListBridges", times=2)
    cleared = add_fault(client, operation="Introspect")
    used = add_fault(client, operation="GetBridge")
    client.get(f"{BRIDGES}/2RGdOS94VDferT9e80mdgntl36K", headers=admin)  # uses it up

    for fault in (cleared, used):
        assert client.delete(f"/_mock/faults/{fault['id']}").status_code == 204

    assert client.get("/_mock/faults").json() == {"faults": [kept]}
    again = client.delete(f"/_mock/faults/{cleared['id']}")
    assert check(again) == {"code": 5, "message": "fault not found", "details": []}


@pytest.mark.parametrize("fault_id", ["999", "x", "-1", "1.0", "9" * 19, "%00", "\u0661"])
def test_clearing_a_fault_that_is_not_there_is_404_and_clears_nothing(
    client: TestClient, fault_id: str
) -> None:
    fault = add_fault(client, operation="ListBridges")

    response = client.delete(f"/_mock/faults/{fault_id}")

    assert response.status_code == 404
    assert check(response)["code"] == 5
    assert client.get("/_mock/faults").json() == {"faults": [fault]}


@pytest.mark.parametrize(
    "spec",
    [
        {"operation": "CreateBrige"},
        {"operation": "c1mock.Control.Reset"},
        {"operation": "token", "status": 302},
        {"operation": "token", "times": 0},
        {"operation": "token", "error": 'bad"quote'},
        {"operation": "token", "delayMs": -1},
        {"operation": "token", "status": "503"},
        {"operation": "token", "times": True},
    ],
)
def test_a_bad_fault_is_refused(client: TestClient, spec: dict[str, Any]) -> None:
    response = client.post("/_mock/faults", json=spec)

    assert response.status_code == 400
    assert check(response)["code"] == 3
    assert client.get("/_mock/faults").json() == {"faults": []}


def test_concurrent_requests_use_a_fault_exactly_times_times(
    client: TestClient, admin: dict[str, str]
) -> None:
    add_fault(client, operation="ListBridges", times=5)

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(
            pool.map(lambda _: client.get(BRIDGES, headers=admin).status_code, range(24))
        )

    assert statuses.count(503) == 5
    assert statuses.count(200) == 19


@pytest.mark.process
def test_workers_of_one_server_use_a_fault_exactly_times_times_and_journal_before_answering(
    tmp_path: Path,
) -> None:
    env = served_env(tmp_path)
    server = ServerProcess(env, log_path=tmp_path / "server.log", args=["--workers", "2"])
    with server, httpx.Client(base_url=server.url, timeout=30) as http:
        token = http.post("/auth/v1/token", data=secret_form(ADMIN_ID, ADMIN_SECRET))
        headers = bearer(token.json()["access_token"])
        http.post("/_mock/faults", json={"operation": "ListBridges", "times": 5})

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(
                pool.map(lambda _: http.get(BRIDGES, headers=headers).status_code, range(24))
            )
        journal = http.get("/_mock/requests", params={"operationId": "ListBridges"}).json()

    assert statuses.count(503) == 5 and statuses.count(200) == 19
    assert sorted(e["status"] for e in journal["requests"]) == sorted(statuses)


def test_a_delayed_fault_does_not_hold_the_server_meanwhile(
    client: TestClient, admin: dict[str, str]
) -> None:
    add_fault(client, operation="ListBridges", status=503, delayMs=3000)

    with ThreadPoolExecutor(max_workers=1) as pool:
        delayed = pool.submit(client.get, BRIDGES, headers=admin)
        while client.get("/_mock/faults").json()["faults"]:  # until the request took the fault
            pass
        other = client.get(f"{BRIDGES}/2RGdOS94VDferT9e80mdgntl36K", headers=admin)
        assert not delayed.done()  # answered while the faulted request still sleeps
        assert other.status_code == 404
        assert delayed.result().status_code == 503


def test_a_delay_alone_delays_the_request_which_then_answers_as_usual(
    client: TestClient, admin: dict[str, str], bridge: dict[str, Any]
) -> None:
    add_fault(client, operation="GetBridge", delayMs=150, times=1)

    delayed = client.get(f"{BRIDGES}/{bridge['id']}", headers=admin)
    again = client.get(f"{BRIDGES}/{bridge['id']}", headers=admin)

    assert (delayed.status_code, again.status_code) == (200, 200)
    assert delayed.json() == again.json()
    first, second = requests(client, operationId="GetBridge")
    assert first["latencyMs"] >= 150 and second["latencyMs"] < 150
    assert client.get("/_mock/faults").json() == {"faults": []}


def test_a_fault_for_a_bridge_answers_only_requests_that_name_it(
    client: TestClient, admin: dict[str, str], bridge: dict[str, Any]
) -> None:
    other = c1_mock(client).create_bridge("other")
    add_fault(client, operation="GetBridge", bridgeId=bridge["id"], status=503, times=5)

    assert client.get(f"{BRIDGES}/{other['id']}", headers=admin).status_code == 200
    assert client.get(f"{BRIDGES}/{bridge['id']}", headers=admin).status_code == 503
    path = f"{BRIDGES}/{bridge['id']}/credentials"
    assert client.get(path, headers=admin).status_code == 200  # another operation


def test_a_fault_for_a_client_answers_only_that_clients_requests(
    client: TestClient, admin: dict[str, str], credential: dict[str, Any]
) -> None:
    cid, secret = credential["clientId"], credential["clientSecret"]
    add_fault(client, operation="token", clientId=cid, status=503, times=5)
    add_fault(client, operation="Introspect", clientId=ADMIN_ID, status=429, times=5)

    assert (
        client.post("/auth/v1/token", data=secret_form(ADMIN_ID, ADMIN_SECRET)).status_code == 200
    )
    assert client.post("/auth/v1/token", data=secret_form(cid, secret)).status_code == 503
    assert client.post("/auth/v1/token", data=secret_form(cid, "wrong")).status_code == 503
    assert client.get("/api/v1/auth/introspect", headers=admin).status_code == 429


@pytest.mark.parametrize(
    "spec",
    [
        {"drop": True, "status": 503},
        {"drop": True, "error": "x"},
        {"bridgeId": "not-a-ksuid"},
        {"clientId": "has space"},
        {"clientId": ""},
    ],
)
def test_a_fault_that_cannot_be_is_refused(client: TestClient, spec: dict[str, Any]) -> None:
    response = client.post("/_mock/faults", json={"operation": "GetBridge", **spec})

    assert response.status_code == 400
    assert check(response)["code"] == 3


def test_a_dropped_request_gets_no_answer_in_process(
    client: TestClient, admin: dict[str, str]
) -> None:
    add_fault(client, operation="ListBridges", drop=True)

    with pytest.raises(AssertionError, match="did not receive any response"):
        client.get(BRIDGES, headers=admin)

    [entry] = requests(client, operationId="ListBridges")
    assert entry["status"] == 444


@pytest.mark.process
def test_a_dropped_connection_answers_nothing_and_the_next_request_answers(tmp_path: Path) -> None:
    env = {
        "C1MOCK_DATABASE_URL": f"sqlite:///{tmp_path / 'c1.db'}",
        "C1MOCK_TENANT_DOMAIN": TENANT,
    }
    with (
        ServerProcess(env, log_path=tmp_path / "server.log") as server,
        httpx.Client(base_url=server.url) as control,
    ):
        add_fault(control, operation="jwks", drop=True, delayMs=100)
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(f"{server.url}/auth/v1/jwks", timeout=10)
        assert httpx.get(f"{server.url}/auth/v1/jwks", timeout=10).status_code == 200
        journal = httpx.get(f"{server.url}/_mock/requests").json()["requests"]
        output = server.output()

    assert [(e["operationId"], e["status"]) for e in journal] == [("jwks", 444), ("jwks", 200)]
    assert "ERROR" not in output and "Traceback" not in output
    assert len([line for line in output.splitlines() if " 444 " in line]) == 1


def test_the_journal_lists_requests_in_the_order_they_arrived(
    client: TestClient, admin: dict[str, str], bridge: dict[str, Any]
) -> None:
    add_fault(client, operation="GetBridge", delayMs=400)
    with ThreadPoolExecutor(max_workers=1) as pool:
        slow = pool.submit(client.get, f"{BRIDGES}/{bridge['id']}", headers=admin)
        time.sleep(0.1)
        fast = client.get(BRIDGES, headers=admin)
        assert fast.status_code == 200 and not slow.done()
        assert slow.result().status_code == 200

    entries = requests(client)[-2:]

    assert [e["operationId"].rsplit(".", 1)[-1] for e in entries] == ["GetBridge", "ListBridges"]
