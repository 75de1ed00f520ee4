"""The request journal: GET/DELETE /_mock/requests."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from c1_mock.config import Settings
from tests.helpers import (
    ADMIN_ID,
    ADMIN_SECRET,
    BRIDGES,
    assertion_form,
    bearer,
    go_assertion,
    in_process,
    requests,
    rows,
    secret_form,
)

OP = "c1.api.iam.v1.TunnelCredentialsService."


def test_journal_lists_api_and_token_requests_oldest_first_with_what_identifies_them(
    client: TestClient, admin: dict[str, str]
) -> None:
    missing = "2RGdOS94VDferT9e80mdgntl36K"
    client.get(f"{BRIDGES}/{missing}?pageSize=1", headers=admin)
    client.get("/healthz")
    client.get("/_mock/state")

    entries = requests(client)

    assert [
        (e["method"], e["path"], e["operationId"], e["status"], e["clientId"]) for e in entries
    ] == [
        ("POST", "/auth/v1/token", "token", 200, ADMIN_ID),
        ("GET", f"{BRIDGES}/{missing}", OP + "GetBridge", 404, ADMIN_ID),
    ]
    assert all(e["latencyMs"] >= 0 for e in entries)
    assert entries[0]["id"] < entries[1]["id"]


def test_journal_filters_by_full_or_short_operation_id_and_by_status(
    client: TestClient, admin: dict[str, str], bridge: dict[str, Any]
) -> None:
    client.get(f"{BRIDGES}/{bridge['id']}", headers=admin)
    client.get(f"{BRIDGES}/2RGdOS94VDferT9e80mdgntl36K", headers=admin)

    assert len(requests(client, operationId="GetBridge")) == 2
    assert len(requests(client, operationId=OP + "GetBridge")) == 2
    assert [e["status"] for e in requests(client, operationId="GetBridge", status=404)] == [404]
    assert [e["operationId"] for e in requests(client, operationId="token")] == ["token"]
    assert requests(client, operationId="Bridge") == []


def test_journal_never_holds_a_secret_an_assertion_a_token_or_a_header_value(
    client: TestClient, admin: dict[str, str], credential: dict[str, Any], settings: Settings
) -> None:
    client_id, secret = credential["clientId"], credential["clientSecret"]
    assertion = go_assertion(client_id, secret)
    token = client.post("/auth/v1/token", data=assertion_form(client_id, assertion)).json()[
        "access_token"
    ]
    client.post("/auth/v1/token", data=secret_form(client_id, secret))
    client.post("/auth/v1/token", data=secret_form(secret, secret))  # a confused client
    client.get(f"/api/v1/auth/introspect?access_token={token}", headers=bearer(token))
    client.get(f"{BRIDGES}/{secret}", headers=admin)
    admin_token = admin["Authorization"].split()[1]

    shown = client.get("/_mock/requests").text
    stored = repr(rows(settings.database_url, "journal_entries"))

    assert len(requests(client)) == 8  # with the fixtures: admin token, bridge, mint
    for text in (shown, stored):
        for value in (secret, assertion, token, admin_token, ADMIN_SECRET, "secret-token:"):
            assert value not in text


def test_journal_keeps_only_the_newest_entries_up_to_its_size(settings: Settings) -> None:
    paths = [f"{BRIDGES}/2RGdOS94VDferT9e80mdgn{i:05d}" for i in range(40)]
    with in_process(settings, journal_size=3) as client:
        token = client.post("/auth/v1/token", data=secret_form(ADMIN_ID, ADMIN_SECRET)).json()[
            "access_token"
        ]
        for path in paths:
            client.get(path, headers=bearer(token))

        entries = requests(client)

    assert [e["path"] for e in entries] == paths[-3:]
    # Pruned every 16 entries: the table never holds many more than the journal's size.
    assert len(rows(settings.database_url, "journal_entries")) < 3 + 16


def test_clearing_the_journal_empties_it(client: TestClient, admin: dict[str, str]) -> None:
    client.get(BRIDGES, headers=admin)

    response = client.delete("/_mock/requests")

    assert response.status_code == 204
    assert requests(client) == []


def test_a_client_id_not_shaped_like_one_is_journaled_as_a_marker_with_its_length(
    client: TestClient,
) -> None:
    huge = "x" * 10_000 + "@acme.conductor.one/tcc"

    assert client.post("/auth/v1/token", data=secret_form(huge, "nope")).status_code == 401

    (entry,) = requests(client)
    assert (entry["operationId"], entry["status"]) == ("token", 401)
    assert entry["clientId"] == f"[redacted: {len(huge)} characters]"


def test_misplaced_secrets_tokens_and_keys_are_never_journaled(
    client: TestClient, admin: dict[str, str], credential: dict[str, Any], settings: Settings
) -> None:
    cid, secret = credential["clientId"], credential["clientSecret"]
    token = client.post("/auth/v1/token", data=secret_form(cid, secret)).json()["access_token"]
    key = secret.rsplit(":", 1)[1][:43]  # a base64url run, as a raw key would be
    misplaced = [
        lambda: client.post("/auth/v1/token", data=secret_form(secret, cid)),  # fields swapped
        lambda: client.post("/auth/v1/token", data=secret_form(token, "x")),  # a token as id
        lambda: client.get(f"{BRIDGES}/{token}", headers=admin),
        lambda: client.get(f"{BRIDGES}/{key}/credentials", headers=admin),
        lambda: client.delete(f"/api/v1/iam/tunnel/credentials/{key}", headers=admin),
        lambda: client.get(f"/api/v1/no/such/{token}/path", headers=admin),
    ]
    for call in misplaced:
        assert 400 <= call().status_code < 500

    shown = client.get("/_mock/requests").text
    stored = repr(rows(settings.database_url, "journal_entries"))
    failures = repr(rows(settings.database_url, "auth_failures"))
    for text in (shown, stored, failures):
        for value in (secret, token, key, token.split(".")[1], "secret-token:"):
            assert value not in text
    paths = [e["path"] for e in requests(client)][-4:]
    assert paths[0] == f"{BRIDGES}/[redacted: {len(token)} characters]"
    assert paths[1] == f"{BRIDGES}/[redacted: {len(key)} characters]/credentials"


def test_ids_shaped_like_ids_are_journaled_as_sent(
    client: TestClient, admin: dict[str, str], credential: dict[str, Any]
) -> None:
    client.get(f"{BRIDGES}/{credential['bridgeId']}", headers=admin)
    client.delete(f"/api/v1/iam/tunnel/credentials/{credential['id']}", headers=admin)

    entries = requests(client)[-2:]

    assert [e["path"] for e in entries] == [
        f"{BRIDGES}/{credential['bridgeId']}",
        f"/api/v1/iam/tunnel/credentials/{credential['id']}",
    ]
    assert {e["clientId"] for e in entries} == {ADMIN_ID}
