"""The floor of `make bench` (benchmarks/floor_app.py) is honest: through HTTP, its endpoints do
the work they stand for (check the secret or bearer token, write, journal, sign, rotate)."""

from __future__ import annotations

import argparse
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from starlette.testclient import TestClient

from benchmarks import floor_app, run
from benchmarks.load import Result
from c1_mock.core.crypto import load_private_key, new_private_key, private_key_text
from c1_mock.core.ids import Random
from c1_mock.oauth.signer import Signer
from tests.helpers import new_secret

GRANT = {"grant_type": "client_credentials"}


@pytest.fixture
def database(tmp_path: Path) -> str:
    path = str(tmp_path / "floor.db")
    floor_app.init(path)
    return path


@pytest.fixture
def client(database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv(floor_app.DATABASE_ENV, database)
    with TestClient(floor_app.app) as client:
        yield client


@pytest.fixture
def seeded(client: TestClient) -> dict[str, str]:
    response = client.post("/floor/setup")
    assert response.status_code == 200
    seeded: dict[str, str] = response.json()
    return seeded


def rows(database: str, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(database)) as conn:
        return conn.execute(sql, args).fetchall()


def take_token(client: TestClient, client_id: str, secret: str) -> httpx.Response:
    return client.post(
        "/floor/token", data={**GRANT, "client_id": client_id, "client_secret": secret}
    )


def mint(client: TestClient, bridge_id: str, token: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return client.post(f"/floor/mint/{bridge_id}", json={}, headers=headers)


def test_right_secret_gets_a_token_that_verifies(
    client: TestClient, database: str, seeded: dict[str, str]
) -> None:
    response = take_token(client, seeded["clientId"], seeded["clientSecret"])
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    body = response.json()
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    [(kid, private_key)] = rows(database, "SELECT kid, private_key FROM signing_key")
    token = body["access_token"]
    assert jwt.get_unverified_header(token) == {"alg": "EdDSA", "kid": kid, "typ": "at+jwt"}
    public_key = load_private_key(private_key).public_key()
    claims = jwt.decode(
        token, public_key, algorithms=["EdDSA"], audience=floor_app.ISSUER, issuer=floor_app.ISSUER
    )
    assert claims["sub"] == claims["client_id"] == seeded["clientId"]
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["jti"]


@pytest.mark.parametrize("wrong", ["secret", "client"])
def test_wrong_secret_or_unknown_client_gets_401(
    client: TestClient, database: str, seeded: dict[str, str], wrong: str
) -> None:
    client_id, secret = seeded["clientId"], seeded["clientSecret"]
    if wrong == "secret":
        secret = new_secret()
    else:
        client_id = "nobody@" + client_id.partition("@")[2]
    response = take_token(client, client_id, secret)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}
    assert rows(
        database, "SELECT last_used_at FROM clients WHERE client_id = ?", seeded["clientId"]
    )[0] == (None,)
    assert rows(database, "SELECT count(*) FROM journal") == [(0,)]


def test_token_request_sets_last_used_and_writes_the_journal(
    client: TestClient, database: str, seeded: dict[str, str]
) -> None:
    for expected in (1, 2):
        assert take_token(client, seeded["clientId"], seeded["clientSecret"]).status_code == 200
        assert rows(database, "SELECT count(*) FROM journal") == [(expected,)]
    [(used,)] = rows(
        database, "SELECT last_used_at FROM clients WHERE client_id = ?", seeded["clientId"]
    )
    assert used is not None
    journal = rows(database, "SELECT method, path, status, client_id, at FROM journal")
    assert [row[:4] for row in journal] == [("POST", "/floor/token", 200, seeded["clientId"])] * 2
    assert all(row[4] > 0 for row in journal)


def test_mint_revokes_the_active_client_and_leaves_one(
    client: TestClient, database: str, seeded: dict[str, str]
) -> None:
    bridge_id, admin = seeded["bridgeId"], seeded["adminToken"]
    secrets = [(seeded["clientId"], seeded["clientSecret"])]
    for _ in range(2):
        response = mint(client, bridge_id, admin)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        minted = response.json()
        secrets.append((minted["clientId"], minted["clientSecret"]))
        statuses = dict(
            rows(database, "SELECT client_id, status FROM clients WHERE bridge_id = ?", bridge_id)
        )
        assert statuses == {cid: "REVOKED" for cid, _ in secrets[:-1]} | {
            minted["clientId"]: "ACTIVE"
        }
    assert (
        rows(database, "SELECT path, status FROM journal")
        == [(f"/floor/mint/{bridge_id}", 200)] * 2
    )
    # Only the newest secret still takes a token.
    assert [take_token(client, *pair).status_code for pair in secrets] == [401, 401, 200]


def _foreign_token() -> str:
    """A well-formed access token for this issuer, signed by another key."""
    key = private_key_text(new_private_key(Random()))
    other = Signer("other", key, floor_app.ISSUER, Random(), lifetime=3600)
    return other.issue("x", binding=floor_app.BINDING, now=datetime.now(UTC))


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-jwt", "Bearer foreign", "Basic"])
def test_mint_without_a_valid_bearer_token_gets_401(
    client: TestClient, database: str, seeded: dict[str, str], authorization: str | None
) -> None:
    if authorization == "Basic":  # the floor's own token, under the wrong scheme
        authorization = f"Basic {seeded['adminToken']}"
    elif authorization == "Bearer foreign":
        authorization = f"Bearer {_foreign_token()}"
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.post(f"/floor/mint/{seeded['bridgeId']}", json={}, headers=headers)
    assert response.status_code == 401
    assert rows(database, "SELECT status FROM clients") == [("ACTIVE",)]
    assert rows(database, "SELECT count(*) FROM journal") == [(0,)]


def test_mint_for_an_unknown_bridge_gets_404(client: TestClient, seeded: dict[str, str]) -> None:
    assert mint(client, "no-such-bridge", seeded["adminToken"]).status_code == 404


def test_table_has_a_row_and_vs_bare_for_every_endpoint_and_vs_floor_for_c1_mocks() -> None:
    result = Result(requests=100, seconds=1.0, non_2xx=0, socket_errors=0, p50_ms=1, p99_ms=2)
    results = {
        "token, client_secret_post": replace(result, requests=60),
        "token, private_key_jwt": replace(result, requests=30),
        "CreateBridgeCredential": replace(result, requests=45),
        run.FLOOR_TOKEN: result,
        run.FLOOR_MINT: replace(result, requests=90),
        "bare FastAPI endpoint": replace(result, requests=400),
        "token, client_secret_post" + run.POSTGRESQL: replace(result, requests=20),
    }
    data = run.report(results, {})
    rows = {row["endpoint"]: row for row in data["endpoints"]}
    assert [row["vs_bare"] for row in rows.values()] == [0.15, 0.075, 0.1125, 0.25, 0.225, 1, 0.05]
    assert [(rows[name]["vs_floor"], rows[name]["target"]) for name in run.TARGETS] == [
        (0.6, 0.5),
        (0.3, 0.4),
        (0.5, 0.5),
    ]
    assert all("vs_floor" not in row for name, row in rows.items() if name not in run.TARGETS)
    options = argparse.Namespace(workers=2, connections=16, seconds=5)
    lines = list(run.table(data, options))
    assert all(line.startswith(name) for line, name in zip(lines[2:], results, strict=True))
    assert all(len(line) == len(lines[1]) for line in lines[2:])
    shown = [re.search(r"(\d+%) +(\d+%) (met|not)", line) for line in lines[2:5]]
    assert [found.groups() if found else None for found in shown] == [
        ("60%", "50%", "met"),
        ("30%", "40%", "not"),
        ("50%", "50%", "met"),
    ]
