"""Stored secret digests: a passlib digest, never the secret; one cheap pbkdf2_sha256 round by
default; argon2 selectable; digests made with another cost keep verifying after a change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, select
from starlette.testclient import TestClient

from c1_mock.config import Settings
from c1_mock.core.models import Credential
from c1_mock.main import create_app
from tests.helpers import TENANT, assertion_form, bearer, go_assertion, secret_form


def _mint(client: TestClient, admin_secret: str, admin_id: str) -> dict[str, Any]:
    token = client.post("/auth/v1/token", data=secret_form(admin_id, admin_secret))
    headers = bearer(token.json()["access_token"])
    bridge = client.post("/api/v1/iam/tunnel/bridges", json={"displayName": "d"}, headers=headers)
    path = f"/api/v1/iam/tunnel/bridges/{bridge.json()['bridge']['id']}/credentials"
    minted: dict[str, Any] = client.post(path, json={}, headers=headers).json()["credential"]
    return minted


def _stored_digest(settings: Settings, credential_id: str) -> str:
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        digest: str = conn.scalar(
            select(Credential.secret_hash).where(Credential.id == credential_id)
        )
    engine.dispose()
    return digest


def _token_status(settings: Settings, client_id: str, secret: str) -> int:
    with TestClient(create_app(settings), base_url=f"http://{TENANT}") as client:
        return client.post("/auth/v1/token", data=secret_form(client_id, secret)).status_code


def test_default_digest_is_one_pbkdf2_round_and_never_the_secret(
    client: TestClient, settings: Settings
) -> None:
    assert settings.admin_client_id and settings.admin_client_secret
    minted = _mint(client, settings.admin_client_secret, settings.admin_client_id)
    digest = _stored_digest(settings, minted["id"])
    assert digest.startswith("$pbkdf2-sha256$1$")
    assert minted["clientSecret"] not in digest
    assert _token_status(settings, minted["clientId"], minted["clientSecret"]) == 200


def test_argon2_is_selectable_and_its_digests_verify(settings: Settings) -> None:
    argon2 = settings.model_copy(update={"secret_hash_scheme": "argon2"})
    assert argon2.admin_client_id and argon2.admin_client_secret
    with TestClient(create_app(argon2), base_url=f"http://{TENANT}") as client:
        minted = _mint(client, argon2.admin_client_secret, argon2.admin_client_id)
        client_id, secret = minted["clientId"], minted["clientSecret"]
        by_jwt = client.post(
            "/auth/v1/token", data=assertion_form(client_id, go_assertion(client_id, secret))
        )
        assert by_jwt.status_code == 200
    assert _stored_digest(argon2, minted["id"]).startswith("$argon2")
    assert _token_status(argon2, client_id, secret) == 200
    assert _token_status(argon2, client_id, secret + "x") == 401


def test_digests_made_with_another_cost_keep_verifying_after_the_setting_changes(
    settings: Settings,
) -> None:
    costly = settings.model_copy(update={"secret_hash_rounds": 1000})
    assert costly.admin_client_id and costly.admin_client_secret
    with TestClient(create_app(costly), base_url=f"http://{TENANT}") as client:
        minted = _mint(client, costly.admin_client_secret, costly.admin_client_id)
    assert _stored_digest(settings, minted["id"]).startswith("$pbkdf2-sha256$1000$")
    assert _token_status(settings, minted["clientId"], minted["clientSecret"]) == 200
