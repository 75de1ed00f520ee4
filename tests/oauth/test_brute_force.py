"""The token endpoint's brute-force guard: max_failed_auths failures for one client id from one
address within failed_auth_window seconds make that client id answer 429 with Retry-After, at
that address, until the window passes; however many fail at once, at most that many are 401."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from c1_mock.config import Settings
from tests.helpers import (
    PG_ENV,
    assertion_form,
    bearer,
    create_bridge,
    go_assertion,
    in_process,
    mint,
    new_secret,
    secret_form,
)
from tests.reliability import scenarios

WRONG = new_secret()


def _fail(client: TestClient, client_id: str, times: int) -> None:
    for _ in range(times):
        response = client.post("/auth/v1/token", data=secret_form(client_id, WRONG))
        assert response.status_code == 401, response.text


def test_tenth_failure_locks_out_even_the_right_secret_with_429_and_retry_after(
    client: TestClient, credential: dict[str, Any]
) -> None:
    _fail(client, credential["clientId"], 10)
    response = client.post(
        "/auth/v1/token", data=secret_form(credential["clientId"], credential["clientSecret"])
    )
    assert response.status_code == 429
    assert response.json() == {
        "error": "temporarily_unavailable",
        "error_description": "too many failed authentications for this client; retry later",
    }
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.headers["Cache-Control"] == "no-store"


def test_nine_failures_do_not_lock_out_the_holder(
    client: TestClient, credential: dict[str, Any]
) -> None:
    _fail(client, credential["clientId"], 9)
    response = client.post(
        "/auth/v1/token", data=secret_form(credential["clientId"], credential["clientSecret"])
    )
    assert response.status_code == 200, response.text


def test_assertion_failures_count_and_locked_assertions_get_429(
    client: TestClient, credential: dict[str, Any]
) -> None:
    client_id = credential["clientId"]
    for _ in range(10):
        form = assertion_form(client_id, go_assertion(client_id, WRONG))
        assert client.post("/auth/v1/token", data=form).status_code == 401
    good = assertion_form(client_id, go_assertion(client_id, credential["clientSecret"]))
    assert client.post("/auth/v1/token", data=good).status_code == 429


def test_lockout_of_one_client_id_leaves_others_alone(
    client: TestClient, admin: dict[str, str], bridge: dict[str, Any], credential: dict[str, Any]
) -> None:
    _fail(client, credential["clientId"], 10)
    minted = mint(client, admin, create_bridge(client, admin, "other")["id"])
    response = client.post(
        "/auth/v1/token", data=secret_form(minted["clientId"], minted["clientSecret"])
    )
    assert response.status_code == 200, response.text


def test_unknown_client_ids_are_locked_out_like_known_ones(client: TestClient) -> None:
    unknown = "nobody-here-00000@acme.conductor.one/tcc"
    _fail(client, unknown, 10)
    response = client.post("/auth/v1/token", data=secret_form(unknown, WRONG))
    assert response.status_code == 429
    assert "Retry-After" in response.headers


def test_malformed_requests_are_not_counted_as_failed_authentications(
    client: TestClient, credential: dict[str, Any]
) -> None:
    for _ in range(12):
        form = {**secret_form(credential["clientId"], WRONG), "grant_type": "password"}
        assert client.post("/auth/v1/token", data=form).status_code == 400
    response = client.post(
        "/auth/v1/token", data=secret_form(credential["clientId"], credential["clientSecret"])
    )
    assert response.status_code == 200, response.text


def test_refused_attempts_keep_returning_429_without_extending_past_the_window(
    client: TestClient, credential: dict[str, Any]
) -> None:
    _fail(client, credential["clientId"], 10)
    first = client.post("/auth/v1/token", data=secret_form(credential["clientId"], WRONG))
    for _ in range(20):
        again = client.post("/auth/v1/token", data=secret_form(credential["clientId"], WRONG))
        assert again.status_code == 429
    assert int(again.headers["Retry-After"]) <= int(first.headers["Retry-After"])


@pytest.fixture
def short_window_client(settings: Settings) -> Iterator[TestClient]:
    with in_process(settings, max_failed_auths=3, failed_auth_window=1) as test_client:
        yield test_client


def test_the_holder_gets_back_in_once_the_window_has_passed(
    short_window_client: TestClient, settings: Settings
) -> None:
    client = short_window_client
    admin_id, admin_secret = settings.admin_client_id or "", settings.admin_client_secret or ""
    _fail(client, admin_id, 3)
    locked = client.post("/auth/v1/token", data=secret_form(admin_id, admin_secret))
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == "1"
    time.sleep(1.1)  # the window (1 s) passes; a wait, not a timing assertion
    response = client.post("/auth/v1/token", data=secret_form(admin_id, admin_secret))
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert client.get("/api/v1/auth/introspect", headers=bearer(token)).status_code == 200


def test_failures_from_one_address_do_not_lock_out_the_holder_at_another(
    client: TestClient, credential: dict[str, Any]
) -> None:
    _fail(client, credential["clientId"], 10)  # from the TestClient's own address
    form = secret_form(credential["clientId"], credential["clientSecret"])
    assert client.post("/auth/v1/token", data=form).status_code == 429

    elsewhere = TestClient(client.app, base_url=str(client.base_url), client=("10.1.2.3", 40000))

    assert elsewhere.post("/auth/v1/token", data=form).status_code == 200


BACKENDS = ["sqlite", "postgresql"] if os.environ.get(PG_ENV) else ["sqlite"]


@pytest.mark.process
@pytest.mark.parametrize("backend", BACKENDS)
def test_at_most_the_limit_of_concurrent_failures_is_answered_401_across_workers(
    tmp_path: Path, backend: str
) -> None:
    with scenarios.sandbox(backend, tmp_path, workers=4) as box:
        bridge_id = scenarios.new_bridge(box)
        with box.client() as api:
            path = f"{scenarios.API}/bridges/{bridge_id}/credentials"
            client_id = api.post(path, json={}, headers=box.admin).json()["credential"]["clientId"]

        def guess() -> int:
            with box.client() as api:
                return api.post("/auth/v1/token", data=secret_form(client_id, WRONG)).status_code

        statuses = scenarios.parallel([guess] * 200)

    assert statuses.count(401) <= 10, Counter(statuses)
    assert statuses.count(401) + statuses.count(429) == 200, Counter(statuses)
