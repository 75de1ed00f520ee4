"""The nine TunnelCredentialsService operations through HTTP (issue 2, "The Tunnel service"):
C1's JSON conventions, rotation, revocation, deletion, expiry, paging and UpdateBridge."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text
from starlette.testclient import TestClient

from c1_mock.core.crypto import SECRET_PREFIX, b64url_decode
from tests.contract.openapi import check
from tests.helpers import (
    ADMIN_ID,
    ADMIN_SECRET,
    BRIDGES,
    TENANT,
    advance_clock,
    bearer,
    create_bridge,
    introspect,
    list_credentials,
    mint,
    secret_form,
    token_with_secret,
)

Admin = dict[str, str]
Bridge = dict[str, Any]
KSUID = re.compile(r"^[0-9A-Za-z]{27}$")
CUTENAME = re.compile(r"^[a-z]+-[a-z]+-\d{5}$")


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _get(client: TestClient, admin: Admin, bridge_id: str) -> tuple[int, Any]:
    response = client.get(f"{BRIDGES}/{bridge_id}", headers=admin)
    return response.status_code, check(response)


# --- JSON conventions ----------------------------------------------------------------------------


def test_create_bridge_answers_every_field_in_c1s_json(client: TestClient, admin: Admin) -> None:
    bridge = create_bridge(client, admin, "office")
    assert KSUID.match(bridge["id"])
    assert bridge["displayName"] == "office"
    assert bridge["description"] == ""
    assert bridge["createdAt"] == bridge["updatedAt"]
    assert bridge["createdAt"].endswith("Z")
    assert bridge["deletedAt"] is None
    assert bridge["appliance"] == {
        "status": "TUNNEL_APPLIANCE_STATUS_NEVER_CONNECTED",
        "lastSeenAt": None,
        "announcedServiceCount": 0,
        "links": [],
    }
    assert _get(client, admin, bridge["id"]) == (200, {"bridge": bridge})


def test_snake_case_input_is_accepted_and_unknown_fields_ignored(
    client: TestClient, admin: Admin
) -> None:
    body = {"display_name": "snake", "description": "d", "color": "blue", "appliance": {}}
    response = client.post(BRIDGES, json=body, headers=admin)
    bridge = check(response)["bridge"]
    assert (bridge["displayName"], bridge["description"]) == ("snake", "d")
    assert "color" not in bridge


def test_new_bridge_has_no_announced_services(
    client: TestClient, admin: Admin, bridge: Bridge
) -> None:
    response = client.get(f"{BRIDGES}/{bridge['id']}/announced_services", headers=admin)
    assert check(response) == {"list": [], "nextPageToken": ""}


def test_credential_is_answered_in_c1s_json(
    client: TestClient, admin: Admin, bridge: Bridge
) -> None:
    credential = mint(client, admin, bridge["id"])
    assert CUTENAME.match(credential["id"])
    assert credential["clientId"] == f"{credential['id']}@{TENANT}/tcc"
    assert credential["bridgeId"] == bridge["id"]
    assert credential["credentialStatus"] == "TUNNEL_CREDENTIAL_STATUS_ACTIVE"
    for unset in ("deletedAt", "lastUsedAt", "revokedAt"):
        assert credential[unset] is None
    lifetime = _time(credential["expiresTime"]) - _time(credential["createdAt"])
    assert lifetime == timedelta(days=90)


# --- CreateBridgeCredential ----------------------------------------------------------------------


def test_client_secret_is_an_ed25519_private_jwk_in_c1s_format(
    client: TestClient, admin: Admin, bridge: Bridge
) -> None:
    response = client.post(f"{BRIDGES}/{bridge['id']}/credentials", json={}, headers=admin)
    secret = check(response)["credential"]["clientSecret"]
    assert response.headers["cache-control"] == "no-store"
    assert secret.startswith(SECRET_PREFIX)
    jwk = json.loads(b64url_decode(secret.removeprefix(SECRET_PREFIX)))
    assert jwk.keys() == {"kty", "crv", "x", "d"}
    assert (jwk["kty"], jwk["crv"]) == ("OKP", "Ed25519")
    assert "=" not in secret


def test_get_and_list_never_show_the_secret_again(
    client: TestClient, admin: Admin, credential: dict[str, Any]
) -> None:
    assert credential["clientSecret"]
    listed = list_credentials(client, admin, credential["bridgeId"])
    assert [c["clientSecret"] for c in listed] == [""]
    assert {**listed[0], "clientSecret": credential["clientSecret"]} == credential


def test_mint_revokes_the_previous_active_credential(
    client: TestClient, admin: Admin, bridge: Bridge
) -> None:
    first = mint(client, admin, bridge["id"])
    second = mint(client, admin, bridge["id"])
    old, new = list_credentials(client, admin, bridge["id"])
    assert (old["id"], new["id"]) == (first["id"], second["id"])
    assert old["credentialStatus"] == "TUNNEL_CREDENTIAL_STATUS_REVOKED"
    assert new["credentialStatus"] == "TUNNEL_CREDENTIAL_STATUS_ACTIVE"
    assert old["revokedAt"] is not None and old["revokedAt"] == old["updatedAt"]
    assert _time(old["revokedAt"]) >= _time(first["createdAt"])
    assert first["revokedAt"] is None


def test_only_the_latest_secret_authenticates(
    client: TestClient, admin: Admin, bridge: Bridge
) -> None:
    minted = [mint(client, admin, bridge["id"]) for _ in range(3)]
    for old in minted[:-1]:
        response = client.post(
            "/auth/v1/token", data=secret_form(old["clientId"], old["clientSecret"])
        )
        assert check(response)["error"] == "invalid_client"
    assert token_with_secret(client, minted[-1]["clientId"], minted[-1]["clientSecret"])


def test_rotation_stops_tokens_of_the_previous_credential(
    client: TestClient, admin: Admin, credential: dict[str, Any]
) -> None:
    token = token_with_secret(client, credential["clientId"], credential["clientSecret"])
    mint(client, admin, credential["bridgeId"])
    assert introspect(client, token).status_code == 401


def _stored_text(database_url: str) -> str:
    """Every value in every table, and for SQLite the raw bytes of its files."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = [
            repr(row)
            for table in inspect(conn).get_table_names()
            for row in conn.execute(text(f'SELECT * FROM "{table}"'))
        ]
    engine.dispose()
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        for file in (path, path.with_name(path.name + "-wal")):
            if file.exists():
                rows.append(file.read_bytes().decode("latin-1"))
    return "\n".join(rows)


def test_database_keeps_no_plaintext_secret(
    client: TestClient, admin: Admin, bridge: Bridge, database_url: str
) -> None:
    secret = mint(client, admin, bridge["id"])["clientSecret"]
    private = json.loads(b64url_decode(secret.removeprefix(SECRET_PREFIX)))["d"]
    stored = _stored_text(database_url)
    assert "tunnel_credentials" in stored or database_url.startswith("postgresql")
    for leak in (secret, secret.removeprefix(SECRET_PREFIX), private):
        assert leak not in stored


# --- RevokeBridgeCredential and DeleteBridge ---------------------------------------------------


def test_revoke_keeps_the_row_and_stops_the_credential_and_its_tokens(
    client: TestClient, admin: Admin, credential: dict[str, Any]
) -> None:
    token = token_with_secret(client, credential["clientId"], credential["clientSecret"])
    response = client.delete(f"/api/v1/iam/tunnel/credentials/{credential['id']}", headers=admin)
    assert check(response) == {}
    (row,) = list_credentials(client, admin, credential["bridgeId"])
    assert row["credentialStatus"] == "TUNNEL_CREDENTIAL_STATUS_REVOKED"
    assert row["revokedAt"] is not None
    assert introspect(client, token).status_code == 401
    refused = client.post(
        "/auth/v1/token", data=secret_form(row["clientId"], credential["clientSecret"])
    )
    assert check(refused)["error"] == "invalid_client"


def test_revoking_twice_answers_200_and_keeps_the_first_revocation_time(
    client: TestClient, admin: Admin, credential: dict[str, Any]
) -> None:
    path = f"/api/v1/iam/tunnel/credentials/{credential['id']}"
    check(client.delete(path, headers=admin))
    first = list_credentials(client, admin, credential["bridgeId"])
    assert check(client.delete(path, headers=admin)) == {}
    assert list_credentials(client, admin, credential["bridgeId"]) == first


def test_delete_bridge_removes_it_its_credentials_and_their_tokens(
    client: TestClient, admin: Admin, credential: dict[str, Any]
) -> None:
    bridge_id = credential["bridgeId"]
    token = token_with_secret(client, credential["clientId"], credential["clientSecret"])
    assert check(client.delete(f"{BRIDGES}/{bridge_id}", headers=admin)) == {}
    assert _get(client, admin, bridge_id)[0] == 404
    listed = client.get(f"{BRIDGES}/{bridge_id}/credentials", headers=admin)
    assert check(listed)["code"] == 5
    assert introspect(client, token).status_code == 401
    revoke = client.delete(f"/api/v1/iam/tunnel/credentials/{credential['id']}", headers=admin)
    assert revoke.status_code == 404
    again = client.delete(f"{BRIDGES}/{bridge_id}", headers=admin)
    assert check(again) == {"code": 5, "message": "bridge not found", "details": []}


def test_delete_bridge_leaves_other_bridges_alone(
    client: TestClient, admin: Admin, credential: dict[str, Any]
) -> None:
    other = create_bridge(client, admin, "other")
    check(client.delete(f"{BRIDGES}/{other['id']}", headers=admin))
    assert token_with_secret(client, credential["clientId"], credential["clientSecret"])
    assert _get(client, admin, credential["bridgeId"])[0] == 200


# --- paging ------------------------------------------------------------------------------------


def _page(client: TestClient, admin: Admin, path: str, **params: Any) -> Any:
    response = client.get(path, params=params, headers=admin)
    assert response.status_code == 200, response.text
    return check(response)


def test_list_bridges_pages_through_every_bridge_once(client: TestClient, admin: Admin) -> None:
    made = [create_bridge(client, admin, f"b{i}")["id"] for i in range(5)]
    seen, token, pages = [], "", 0
    while True:
        page = _page(client, admin, BRIDGES, pageSize=2, pageToken=token)
        seen += [b["id"] for b in page["list"]]
        token, pages = page["nextPageToken"], pages + 1
        if not token:
            break
    assert (seen, pages) == (made, 3)


def test_list_takes_page_parameters_by_their_proto_names_too(
    client: TestClient, admin: Admin
) -> None:
    made = [create_bridge(client, admin, f"b{i}")["id"] for i in range(3)]
    first = _page(client, admin, BRIDGES, page_size=2)
    rest = _page(client, admin, BRIDGES, page_size=2, page_token=first["nextPageToken"])
    assert [b["id"] for b in first["list"] + rest["list"]] == made
    assert rest["nextPageToken"] == ""


def test_list_page_size_defaults_to_100(client: TestClient, admin: Admin) -> None:
    for i in range(101):
        client.post(BRIDGES, json={"displayName": f"b{i}"}, headers=admin)
    for params in ({}, {"pageSize": 0}):
        first = _page(client, admin, BRIDGES, **params)
        assert len(first["list"]) == 100 and first["nextPageToken"]
    rest = _page(client, admin, BRIDGES, pageToken=first["nextPageToken"])
    assert (len(rest["list"]), rest["nextPageToken"]) == (1, "")
    assert len(_page(client, admin, BRIDGES, pageSize=5000)["list"]) == 101


def test_list_credentials_pages(client: TestClient, admin: Admin, bridge: Bridge) -> None:
    made = [mint(client, admin, bridge["id"])["id"] for _ in range(3)]
    path = f"{BRIDGES}/{bridge['id']}/credentials"
    first = _page(client, admin, path, pageSize=2)
    second = _page(client, admin, path, pageSize=2, pageToken=first["nextPageToken"])
    assert [c["id"] for c in first["list"] + second["list"]] == made
    assert second["nextPageToken"] == ""


def test_a_client_that_deletes_what_it_has_listed_still_sees_every_bridge(
    client: TestClient, admin: Admin
) -> None:
    made = {create_bridge(client, admin, f"b{i}")["id"] for i in range(10)}
    seen: list[str] = []
    token = ""
    while True:
        page = _page(client, admin, BRIDGES, pageSize=2, pageToken=token)
        listed = [b["id"] for b in page["list"]]
        seen += listed
        for bridge_id in listed:  # as a clean-up job would, page by page
            assert client.delete(f"{BRIDGES}/{bridge_id}", headers=admin).status_code == 200
        token = page["nextPageToken"]
        if not token:
            break
    assert sorted(seen) == sorted(made)


def _token(*position: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(position)).encode()).decode().rstrip("=")


BAD_PAGES: list[dict[str, Any]] = [
    {"pageToken": "not-a-token"},
    {"pageToken": "b2Zmc2V0Oi0x"},  # "offset:-1"
    {"pageToken": _token("k1", "not a time", "x")},
    {"pageToken": _token("k1", "2026-01-01T00:00:00", "naive")},
    {"pageToken": _token("k1", "2026-01-01T00:00:00+00:00")},
    {"pageToken": _token("k1", 5, 6)},
    {"pageToken": _token("o1", -1)},
    {"pageToken": _token("o1", True)},
    {"pageToken": _token("x", 1)},
    {"pageToken": "W10"},  # []
    {"pageSize": -1},
    {"pageSize": "x"},
]


def test_bad_page_token_or_size_is_400(client: TestClient, admin: Admin, bridge: Bridge) -> None:
    # One test for all cases: each case needs no state of its own, and a fresh database per case
    # costs more than the requests.
    for suffix in ("", "/credentials", "/announced_services"):
        for params in BAD_PAGES:
            response = client.get(
                f"{BRIDGES}/{bridge['id']}{suffix}" if suffix else BRIDGES,
                params=params,
                headers=admin,
            )
            assert response.status_code == 400, (suffix, params, response.text)
            assert check(response)["code"] == 3


# --- UpdateBridge ------------------------------------------------------------------------------


def _patch(client: TestClient, admin: Admin, bridge_id: str, body: Any) -> Any:
    response = client.patch(f"{BRIDGES}/{bridge_id}", json=body, headers=admin)
    return response.status_code, check(response)


@pytest.mark.parametrize(
    "mask", ["displayName", "display_name", " displayName ", "displayName,description"]
)
def test_update_mask_in_json_or_proto_form_names_the_fields_to_update(
    client: TestClient, admin: Admin, mask: str
) -> None:
    bridge = create_bridge(client, admin, "old", "kept")
    body = {"displayName": "new", "description": "kept", "updateMask": mask}
    status, answer = _patch(client, admin, bridge["id"], body)
    assert status == 200
    assert (answer["bridge"]["displayName"], answer["bridge"]["description"]) == ("new", "kept")


def test_update_mask_leaves_fields_outside_it_alone(client: TestClient, admin: Admin) -> None:
    bridge = create_bridge(client, admin, "old", "old description")
    body = {"displayName": "new", "description": "ignored", "update_mask": "display_name"}
    _, answer = _patch(client, admin, bridge["id"], body)
    assert answer["bridge"]["description"] == "old description"


def test_update_mask_field_absent_from_the_body_is_cleared(
    client: TestClient, admin: Admin
) -> None:
    bridge = create_bridge(client, admin, "name", "old description")
    _, answer = _patch(client, admin, bridge["id"], {"updateMask": "description"})
    assert answer["bridge"]["description"] == ""


def test_without_a_mask_the_present_fields_are_updated(
    client: TestClient, admin: Admin, credential: dict[str, Any]
) -> None:
    bridge_id = credential["bridgeId"]
    before = _get(client, admin, bridge_id)[1]["bridge"]
    status, answer = _patch(client, admin, bridge_id, {"description": "only this"})
    after = answer["bridge"]
    assert status == 200
    assert (after["displayName"], after["description"]) == (before["displayName"], "only this")
    assert after["createdAt"] == before["createdAt"]
    assert _time(after["updatedAt"]) >= _time(before["updatedAt"])
    assert list_credentials(client, admin, bridge_id)[0]["clientSecret"] == ""
    assert token_with_secret(client, credential["clientId"], credential["clientSecret"])


BAD_UPDATES: list[dict[str, Any]] = [
    {"displayName": ""},
    {"displayName": "  "},
    {"displayName": None, "updateMask": "displayName"},
    {"updateMask": "displayName"},
    {"displayName": "n" * 513},
    {"description": "d" * 4097},
    {"displayName": "ok", "updateMask": "displayName,color"},
    {"displayName": "ok", "updateMask": "id"},
    {"displayName": "ok", "updateMask": 5},
    {"displayName": "", "description": "valid", "updateMask": "description,displayName"},
]


def test_bad_update_is_400_and_changes_nothing(client: TestClient, admin: Admin) -> None:
    bridge = create_bridge(client, admin, "name", "description")
    for body in BAD_UPDATES:
        status, answer = _patch(client, admin, bridge["id"], body)
        assert (status, answer["code"]) == (400, 3), body
        assert _get(client, admin, bridge["id"])[1]["bridge"] == bridge, body


def test_names_at_the_length_limits_are_accepted(client: TestClient, admin: Admin) -> None:
    bridge = create_bridge(client, admin, "n" * 512, "d" * 4096)
    body = {"displayName": "m" * 512, "description": "e" * 4096}
    status, answer = _patch(client, admin, bridge["id"], body)
    assert status == 200 and answer["bridge"]["displayName"] == "m" * 512


# --- expiry (virtual clock) ----------------------------------------------------------------------


def test_credential_past_its_lifetime_reads_expired_and_gets_no_token(
    short_lived: TestClient,
) -> None:
    admin = bearer(token_with_secret(short_lived, ADMIN_ID, ADMIN_SECRET))
    credential = mint(short_lived, admin, create_bridge(short_lived, admin)["id"])
    cid, secret = credential["clientId"], credential["clientSecret"]
    lifetime = _time(credential["expiresTime"]) - _time(credential["createdAt"])
    assert lifetime == timedelta(seconds=60)
    token = token_with_secret(short_lived, cid, secret)
    advance_clock(short_lived, 61)
    (row,) = list_credentials(short_lived, admin, credential["bridgeId"])
    assert row["credentialStatus"] == "TUNNEL_CREDENTIAL_STATUS_EXPIRED"
    assert row["revokedAt"] is None
    refused = short_lived.post("/auth/v1/token", data=secret_form(cid, secret))
    assert check(refused)["error"] == "invalid_client"
    assert introspect(short_lived, token).status_code == 401


def test_mint_after_expiry_leaves_the_old_credential_expired_not_revoked(
    short_lived: TestClient,
) -> None:
    admin = bearer(token_with_secret(short_lived, ADMIN_ID, ADMIN_SECRET))
    bridge_id = create_bridge(short_lived, admin)["id"]
    mint(short_lived, admin, bridge_id)
    advance_clock(short_lived, 61)
    admin = bearer(token_with_secret(short_lived, ADMIN_ID, ADMIN_SECRET))
    new = mint(short_lived, admin, bridge_id)
    old, current = list_credentials(short_lived, admin, bridge_id)
    assert old["credentialStatus"] == "TUNNEL_CREDENTIAL_STATUS_EXPIRED"
    assert current["id"] == new["id"]
    assert current["credentialStatus"] == "TUNNEL_CREDENTIAL_STATUS_ACTIVE"


def test_a_query_parameter_given_twice_is_400(client: TestClient, admin: Admin) -> None:
    response = client.get(f"{BRIDGES}?pageSize=1&pageSize=2", headers=admin)

    assert response.status_code == 400
    assert "pageSize" in check(response)["message"]
