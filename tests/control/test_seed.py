"""Seeding: POST /_mock/seed and C1MOCK_SEED_FILE."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from c1_mock.config import Settings
from tests.contract.openapi import check
from tests.helpers import (
    ADMIN_ID,
    ADMIN_SECRET,
    BRIDGES,
    TENANT,
    assertion_form,
    bearer,
    c1_mock,
    go_assertion,
    in_process,
    new_secret,
    secret_form,
    state,
    stored,
)

BRIDGE_ID = "2RGdOS94VDferT9e80mdgntl36K"
OTHER_ID = "2RGdOS94VDferT9e80mdgntl36L"
SEED_ADMIN = "ops-admin-00001@acme.conductor.one/spc"
ACTIVE = "TUNNEL_CREDENTIAL_STATUS_ACTIVE"
REVOKED = "TUNNEL_CREDENTIAL_STATUS_REVOKED"


def _document() -> tuple[dict[str, Any], dict[str, str]]:
    secrets = {name: new_secret() for name in ("admin", "active", "revoked")}
    doc = {
        "admins": [{"clientId": SEED_ADMIN, "clientSecret": secrets["admin"]}],
        "bridges": [
            {
                "id": BRIDGE_ID,
                "displayName": "office network",
                "credentials": [
                    {
                        "id": "clever-fox-42195",
                        "clientSecret": secrets["revoked"],
                        "status": REVOKED,
                    },
                    {"id": "brave-owl-00001", "clientSecret": secrets["active"]},
                ],
            },
            {"displayName": "lab", "description": "no id: generated"},
        ],
    }
    return doc, secrets


def _seed(client: TestClient, doc: Any, content_type: str = "application/yaml") -> Any:
    text = doc if isinstance(doc, str) else yaml.safe_dump(doc)
    return client.post("/_mock/seed", content=text, headers={"Content-Type": content_type})


def test_seeded_admin_bridges_and_credentials_exist_and_their_secrets_authenticate(
    client: TestClient,
) -> None:
    doc, secrets = _document()

    response = _seed(client, doc)

    assert response.status_code == 200, response.text
    body = check(response)
    assert [b["displayName"] for b in body["bridges"]] == ["office network", "lab"]
    assert body["bridges"][0]["id"] == BRIDGE_ID
    assert "secret-token:" not in response.text
    admin_token = client.post("/auth/v1/token", data=secret_form(SEED_ADMIN, secrets["admin"]))
    assert admin_token.status_code == 200
    headers = bearer(admin_token.json()["access_token"])
    listed = client.get(f"{BRIDGES}/{BRIDGE_ID}/credentials", headers=headers).json()["list"]
    assert {(c["id"], c["credentialStatus"]) for c in listed} == {
        ("clever-fox-42195", REVOKED),
        ("brave-owl-00001", ACTIVE),
    }
    active_id = f"brave-owl-00001@{TENANT}/tcc"
    form = assertion_form(active_id, go_assertion(active_id, secrets["active"]))
    assert client.post("/auth/v1/token", data=form).status_code == 200
    revoked_id = f"clever-fox-42195@{TENANT}/tcc"
    form = secret_form(revoked_id, secrets["revoked"])
    assert client.post("/auth/v1/token", data=form).status_code == 401


def test_seed_takes_json_as_well(client: TestClient) -> None:
    response = _seed(client, json.dumps({"bridges": [{"displayName": "json"}]}), "application/json")

    assert response.status_code == 200, response.text
    assert [b["displayName"] for b in state(client)["bridges"]] == ["json"]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/plain;charset=UTF-8",
        "TEXT/PLAIN",
    ],
)
def test_a_document_in_a_forms_content_type_is_refused_and_changes_nothing(
    client: TestClient, content_type: str
) -> None:
    # An HTML form of any web page can post these to a local server without a CORS preflight.
    response = _seed(client, {"bridges": [{"displayName": "from a form"}]}, content_type)

    assert response.status_code == 415
    assert check(response)["code"] == 3
    assert "application/yaml" in response.json()["message"]
    assert state(client)["bridges"] == []


@pytest.mark.parametrize("content_type", ["application/x-yaml", "text/yaml", None])
def test_a_document_in_another_content_type_or_none_is_taken(
    client: TestClient, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}

    response = client.post("/_mock/seed", content="bridges: [{displayName: yaml}]", headers=headers)

    assert response.status_code == 200, response.text
    assert [b["displayName"] for b in state(client)["bridges"]] == ["yaml"]


def test_seeding_the_same_document_twice_changes_nothing(client: TestClient) -> None:
    doc, _ = _document()
    _seed(client, doc)
    before = stored(client)

    assert _seed(client, doc).status_code == 200

    assert stored(client) == before


def test_reseeding_a_revoked_credential_as_active_makes_it_the_active_one(
    client: TestClient,
) -> None:
    doc, secrets = _document()
    _seed(client, doc)
    bridge = doc["bridges"][0]
    bridge["credentials"] = [
        {"id": "clever-fox-42195", "clientSecret": secrets["revoked"], "status": ACTIVE}
    ]

    assert _seed(client, doc).status_code == 200

    statuses = {c["id"]: c["credentialStatus"] for c in state(client)["credentials"]}
    assert statuses == {"clever-fox-42195": ACTIVE, "brave-owl-00001": REVOKED}
    client_id = f"clever-fox-42195@{TENANT}/tcc"
    token = client.post("/auth/v1/token", data=secret_form(client_id, secrets["revoked"]))
    assert token.status_code == 200


def test_a_seeded_active_credential_retires_the_active_one_of_its_bridge(
    client: TestClient, credential: dict[str, Any]
) -> None:
    bridge_id = credential["bridgeId"]
    doc = {
        "bridges": [
            {
                "id": bridge_id,
                "displayName": "office",
                "credentials": [{"clientSecret": new_secret()}],
            }
        ]
    }

    assert _seed(client, doc).status_code == 200

    statuses = {c["id"]: c["credentialStatus"] for c in state(client)["credentials"]}
    assert statuses[credential["id"]] == REVOKED
    assert list(statuses.values()).count(ACTIVE) == 1


def _bad(path: str, value: Any) -> dict[str, Any]:
    """The valid document with one entry changed (path like 'bridges.0.displayName')."""
    doc, _ = _document()
    node: Any = doc
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    for part in parents:
        node = node[part]
    node[last] = value
    return doc


INVALID = [
    (_bad("bridges.1.displayName", ""), "bridges[1].displayName: "),
    (_bad("bridges.1.displayName", "x" * 513), "bridges[1].displayName: "),
    (_bad("bridges.0.id", "not-a-ksuid"), "bridges[0].id: "),
    (_bad("bridges.0.credentials.0.status", ACTIVE), "bridges[0].credentials[1].status: "),
    (
        _bad("bridges.0.credentials.1.clientSecret", "hunter2"),
        "bridges[0].credentials[1].clientSecret: ",
    ),
    (_bad("bridges.0.credentials.1.id", "clever-fox-42195"), "bridges[0].credentials[1].id: "),
    (_bad("bridges.0.colour", "red"), "bridges[0].colour: "),
    (_bad("admins.0.clientId", "ops@acme.conductor.one/tcc"), "admins[0].clientId: "),
    (_bad("admins.0.clientId", ADMIN_ID), "admins[0].clientId: "),
    (_bad("bridges.0.credentials.0.id", "Not A Cutename"), "bridges[0].credentials[0].id: "),
    (_bad("bridges.0.credentials.0.id", 42), "bridges[0].credentials[0].id: "),
    (_bad("bridges", "none"), "bridges: "),
    ("bridges: [unclosed", "document: not valid YAML or JSON"),
    ("- a list", "document: "),
    ("null", "document: "),
    (_bad("bridges.0.id", None), "bridges[0].id: "),
]


@pytest.mark.parametrize(("doc", "message"), INVALID, ids=[m.split(":")[0] for _, m in INVALID])
def test_an_invalid_document_is_refused_naming_its_entry_and_changes_nothing(
    client: TestClient, bridge: dict[str, Any], doc: Any, message: str
) -> None:
    before = stored(client)

    response = _seed(client, doc)

    assert response.status_code == 400
    assert check(response)["code"] == 3
    assert response.json()["message"].startswith(message), response.json()["message"]
    assert stored(client) == before


def test_a_refused_document_never_quotes_a_secret(client: TestClient) -> None:
    secret = "secret-token:conductorone.com:v1:bm90IGEga2V5"
    doc = {"bridges": [{"displayName": "x", "credentials": [{"clientSecret": secret}]}]}

    response = _seed(client, doc)

    assert response.status_code == 400
    assert "bm90IGEga2V5" not in response.text


def test_a_conflict_found_while_writing_rolls_back_what_the_document_wrote_before(
    client: TestClient,
) -> None:
    secret = new_secret()
    first = {
        "bridges": [
            {
                "id": BRIDGE_ID,
                "displayName": "a",
                "credentials": [{"id": "shared-id-00001", "clientSecret": secret}],
            }
        ]
    }
    assert _seed(client, first).status_code == 200
    before = stored(client)
    second = {
        "bridges": [
            {"displayName": "written first"},
            {
                "id": OTHER_ID,
                "displayName": "b",
                "credentials": [{"id": "shared-id-00001", "clientSecret": secret}],
            },
        ]
    }

    response = _seed(client, second)

    assert response.status_code == 400
    assert response.json()["message"].startswith("bridges[1].credentials[0].id: ")
    assert stored(client) == before


def test_the_seed_file_is_applied_at_start_and_again_on_reset(
    settings: Settings, tmp_path: Path, admin_token: str
) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(yaml.safe_dump({"bridges": [{"id": BRIDGE_ID, "displayName": "seeded"}]}))
    with in_process(settings, seed_file=seed) as client:
        assert [b["id"] for b in state(client)["bridges"]] == [BRIDGE_ID]
        created = client.post(
            BRIDGES, json={"displayName": "made by a test"}, headers=bearer(admin_token)
        )
        assert created.status_code == 200

        client.post("/_mock/reset")

        assert [b["displayName"] for b in state(client)["bridges"]] == ["seeded"]


@pytest.mark.process
def test_serve_refuses_to_start_with_an_invalid_seed_file_and_names_the_entry(
    tmp_path: Path,
) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(yaml.safe_dump({"bridges": [{"displayName": "ok"}, {"id": "bad"}]}))
    env = {
        "C1MOCK_DATABASE_URL": f"sqlite:///{tmp_path / 'c1.db'}",
        "C1MOCK_SEED_FILE": str(seed),
        "PATH": "",
    }

    done = subprocess.run(
        [sys.executable, "-m", "c1_mock.cli", "serve", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode != 0
    assert "bridges[1].id: " in done.stderr
    assert "bridges[1].displayName: " in done.stderr


MALFORMED: list[tuple[str, bytes]] = [
    ("deeply nested JSON", b"[" * 100_000 + b"]" * 100_000),
    ("deeply nested YAML", b"a: " + b"[" * 5000),
    ("a date that does not exist", b"bridges:\n  - displayName: x\n    description: 2001-02-30\n"),
    ("a time that does not exist", b"bridges:\n  - displayName: 2001-02-28 25:61:61\n"),
    ("an integer of thousands of digits (JSON)", b'{"x": ' + b"9" * 5000 + b"}"),
    ("an integer of thousands of digits (YAML)", b"x: " + b"7" * 5000),
    (
        "a bridge id above the largest KSUID",
        b'{"bridges": [{"id": "zzzzzzzzzzzzzzzzzzzzzzzzzzz"}]}',
    ),
]


@pytest.mark.parametrize(("name", "body"), MALFORMED, ids=[name for name, _ in MALFORMED])
def test_a_malformed_document_is_400_naming_where_and_quoting_nothing(
    client: TestClient, name: str, body: bytes
) -> None:
    before = stored(client)

    response = client.post(
        "/_mock/seed", content=body, headers={"Content-Type": "application/yaml"}
    )

    assert response.status_code == 400, response.text
    message = check(response)["message"]
    assert message.startswith(("document: ", "bridges[0]")), message
    for quoted in ("99999", "77777", "2001-02", "zzzz"):
        assert quoted not in message
    assert stored(client) == before


@pytest.mark.process
def test_serve_refuses_a_seed_file_with_a_date_that_does_not_exist_in_one_line(
    tmp_path: Path,
) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_bytes(MALFORMED[2][1])
    env = {"C1MOCK_DATABASE_URL": f"sqlite:///{tmp_path / 'c1.db'}", "C1MOCK_SEED_FILE": str(seed)}

    done = subprocess.run(
        [sys.executable, "-m", "c1_mock.cli", "serve", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode != 0
    assert "Traceback" not in done.stderr and done.stderr.strip().count("\n") == 0
    assert "document: a value cannot be read" in done.stderr


def test_a_mint_whose_drawn_name_is_taken_draws_another(tmp_path: Path) -> None:
    """Deterministic mode makes the draw repeatable: the name the second server's mint draws
    first is the one the first server's mint got, which a seed file already gave the second
    server's bridge (seeded at start, before its requests' stream begins)."""
    first = _deterministic(tmp_path / "first.db")
    with first as client:
        taken = _mint_once(client)["id"]
    seed = tmp_path / "seed.yaml"
    credential = {
        "id": taken,
        "clientSecret": new_secret(),
        "status": "TUNNEL_CREDENTIAL_STATUS_REVOKED",
    }
    bridge = {
        "id": "2RGdOS94VDferT9e80mdgntl36K",
        "displayName": "holder",
        "credentials": [credential],
    }
    seed.write_text(yaml.safe_dump({"bridges": [bridge]}))
    with _deterministic(tmp_path / "second.db", seed_file=seed) as client:
        minted = _mint_once(client)

    assert minted["id"] != taken and minted["credentialStatus"].endswith("ACTIVE")


def _deterministic(path: Path, **changes: Any) -> Any:
    settings = Settings(
        database_url=f"sqlite:///{path}",
        tenant_domain=TENANT,
        admin_client_id=ADMIN_ID,
        admin_client_secret=ADMIN_SECRET,
        random_seed=7,
        **changes,
    )
    return in_process(settings)


def _mint_once(client: TestClient) -> dict[str, Any]:
    mock = c1_mock(client)
    credential: dict[str, Any] = mock.mint(mock.create_bridge("b")["id"])
    return credential
