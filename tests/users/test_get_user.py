"""GET /api/v1/users/{id} (C1's UserService.Get): every admin client is a user of type
USER_TYPE_SERVICE whose id Introspect reports; a tunnel credential is not a user."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from c1_mock.testing.client import C1Mock
from tests.contract.openapi import check
from tests.helpers import (
    ADMIN_ID,
    TENANT,
    add_fault,
    bearer,
    introspect,
    new_secret,
    requests,
    token_with_secret,
)

USERS = "/api/v1/users"
ADMIN_USER = ADMIN_ID.split("@", 1)[0]
SEED_ADMIN = f"ops-robot-00001@{TENANT}/spc"
EMPTY_LISTS = {
    "departmentSources",
    "directoryIds",
    "directoryStatusSources",
    "emailSources",
    "emails",
    "employeeIdSources",
    "employeeIds",
    "employmentStatusSources",
    "employmentTypeSources",
    "jobTitleSources",
    "managerIds",
    "managerSources",
    "roleIds",
    "usernameSources",
    "usernames",
}


def get_user(client: TestClient, headers: dict[str, str], user_id: str) -> Any:
    response = client.get(f"{USERS}/{user_id}", headers=headers)
    body = check(response)
    assert response.status_code == 200, response.text
    return body


def _seed(client: TestClient, document: dict[str, Any]) -> Any:
    headers = {"Content-Type": "application/yaml"}
    return client.post("/_mock/seed", content=yaml.safe_dump(document), headers=headers)


def test_introspects_user_id_is_the_admins_service_user(
    client: TestClient, admin_token: str, mock: C1Mock
) -> None:
    user_id = introspect(client, admin_token).json()["userId"]

    answer = get_user(client, bearer(admin_token), user_id)

    assert user_id == ADMIN_USER
    view, user = answer["userView"], answer["userView"]["user"]
    assert (view["userId"], user["id"], user["type"]) == (user_id, user_id, "USER_TYPE_SERVICE")
    assert (user["status"], user["directoryStatus"]) == ("ENABLED", "UNKNOWN")
    [admin] = [c for c in mock.state()["clients"] if c["clientId"] == ADMIN_ID]
    assert user["createdAt"] == admin["createdAt"]
    assert answer["expanded"] == []


def test_every_field_is_written_as_protojson_with_emit_unpopulated_writes_it(
    client: TestClient, admin: dict[str, str]
) -> None:
    answer = get_user(client, admin, ADMIN_USER)

    user = answer["userView"]["user"]
    assert {name for name, value in user.items() if value == []} == EMPTY_LISTS
    assert (user["deletedAt"], user["profile"]) == (None, None)
    assert (user["origin"], user["email"], user["displayName"]) == (
        "USER_ORIGIN_UNSPECIFIED",
        "",
        "",
    )
    paths = ("managersPath", "delegatedUserPath", "directoriesPath", "rolesPath")
    assert [answer["userView"][p] for p in paths] == ["", "", "", ""]


def test_a_seeded_admins_user_has_the_display_name_and_email_of_the_document(
    client: TestClient, admin: dict[str, str]
) -> None:
    secret = new_secret()
    user = {"displayName": "Ops robot", "email": "ops-robot@acme.example"}
    entry = {"clientId": SEED_ADMIN, "clientSecret": secret, "user": user}
    assert _seed(client, {"admins": [entry]}).status_code == 200

    seeded = get_user(client, admin, "ops-robot-00001")["userView"]["user"]
    assert _seed(client, {"admins": [{"clientId": SEED_ADMIN, "clientSecret": secret}]}).is_success
    reseeded = get_user(client, admin, "ops-robot-00001")["userView"]["user"]

    assert (seeded["displayName"], seeded["email"]) == ("Ops robot", "ops-robot@acme.example")
    assert (reseeded["displayName"], reseeded["email"]) == ("", "")
    seeded_token = token_with_secret(client, SEED_ADMIN, secret)
    assert introspect(client, seeded_token).json()["userId"] == "ops-robot-00001"


@pytest.mark.parametrize(
    ("admins", "message"),
    [
        (
            [f"ops@{TENANT}/spc", "ops@other.conductor.one/spc"],
            "admins[1].clientId: its name repeats another entry's",
        ),
        (  # refused before its name is looked at: an admin of another tenant could not be used
            [f"{ADMIN_USER}@other.conductor.one/spc"],
            "admins[0].clientId: not of this server's tenant domain 'acme.conductor.one': "
            "the server would refuse it",
        ),
    ],
)
def test_two_admin_clients_may_not_be_one_user(
    client: TestClient, admins: list[str], message: str
) -> None:
    document = {"admins": [{"clientId": a, "clientSecret": new_secret()} for a in admins]}

    response = _seed(client, document)

    assert response.status_code == 400
    assert check(response) == {"code": 3, "message": message, "details": []}


@pytest.mark.parametrize(
    "user", [{"displayName": 5}, {"email": "a\x00b"}, {"nickname": "x"}, None, "Ops"]
)
def test_a_bad_user_entry_is_refused(client: TestClient, user: Any) -> None:
    entry = {"clientId": SEED_ADMIN, "clientSecret": new_secret(), "user": user}

    response = _seed(client, {"admins": [entry]})

    assert response.status_code == 400, response.text
    assert check(response)["message"].startswith("admins[0].user")


def test_an_unknown_user_is_404_with_c1s_error_body(
    client: TestClient, admin: dict[str, str], credential: dict[str, Any]
) -> None:
    # A credential id is what Introspect calls a tunnel credential's userId: still no user.
    for user_id in ("nobody-00001", credential["id"], f"{ADMIN_USER}%40{TENANT}", "%25"):
        response = client.get(f"{USERS}/{user_id}", headers=admin)
        assert response.status_code == 404, user_id
        assert check(response) == {"code": 5, "message": "user not found", "details": []}


def test_a_tunnel_credentials_token_is_refused_with_403(
    client: TestClient, credential: dict[str, Any]
) -> None:
    token = token_with_secret(client, credential["clientId"], credential["clientSecret"])
    user_id = introspect(client, token).json()["userId"]

    for asked in (user_id, ADMIN_USER):
        response = client.get(f"{USERS}/{asked}", headers=bearer(token))
        assert response.status_code == 403
        assert check(response)["code"] == 7


def test_get_user_is_journaled_and_answers_faults(
    client: TestClient, admin: dict[str, str]
) -> None:
    add_fault(client, operation="c1.api.user.v1.UserService.Get", status=503, retryAfter=2)

    faulted = client.get(f"{USERS}/{ADMIN_USER}", headers=admin)
    answered = client.get(f"{USERS}/{ADMIN_USER}", headers=admin)

    assert (faulted.status_code, faulted.headers["Retry-After"]) == (503, "2")
    assert answered.status_code == 200
    journaled = requests(client, operationId="Get")
    # A fault answers before the caller is authenticated: its entry names the client the
    # bearer token names.
    assert [(r["path"], r["status"], r["clientId"]) for r in journaled] == [
        (f"{USERS}/{ADMIN_USER}", 503, ADMIN_ID),
        (f"{USERS}/{ADMIN_USER}", 200, ADMIN_ID),
    ]
