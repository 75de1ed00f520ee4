"""Self-routing client ids: the tenant domain is the server's own address, so that a Go-based
client, which takes the API host from the client id's tenant part, finds the server from the
client id alone."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from c1_mock.config import Settings
from c1_mock.main import create_app
from c1_mock.server import tls
from c1_mock.testing.process import ServerProcess, free_port
from tests.helpers import assertion_form, bearer, go_assertion, new_secret, secret_form

ADMIN_NAME = "sandbox-admin-00001"


def go_token(client_id: str, secret: str, verify: ssl.SSLContext) -> str:
    """What C1's Go SDK does with nothing but a client id and secret: the host comes from the
    client id, the scheme is always https, `aud` is that host without its port."""
    host = client_id.split("@", 1)[1].split("/", 1)[0]
    audience = tls.host_of(host)
    form = assertion_form(client_id, go_assertion(client_id, secret, aud=audience))
    response = httpx.post(f"https://{host}/auth/v1/token", data=form, verify=verify)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def api_base(client_id: str) -> str:
    return f"https://{client_id.split('@', 1)[1].split('/', 1)[0]}"


@pytest.mark.process
def test_go_style_client_gets_a_token_from_the_client_id_alone_over_tls(tmp_path: Path) -> None:
    port = free_port()
    admin_id, admin_secret = f"{ADMIN_NAME}@127.0.0.1:{port}/spc", new_secret()
    env = {
        "C1MOCK_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "C1MOCK_ADMIN_CLIENT_ID": admin_id,
        "C1MOCK_ADMIN_CLIENT_SECRET": admin_secret,
    }
    args = ["--tls", "--tls-dir", str(tmp_path / "tls"), "--self-route"]
    server = ServerProcess(env, log_path=tmp_path / "serve.log", port=port, args=args)
    server.scheme = "https"
    server.start(verify=False)  # ca.pem appears during this first start
    try:
        ca_only = ssl.create_default_context(cafile=tmp_path / "tls" / tls.CA_CERT)
        admin = bearer(go_token(admin_id, admin_secret, ca_only))
        with httpx.Client(base_url=api_base(admin_id), verify=ca_only, headers=admin) as api:
            bridge = api.post("/api/v1/iam/tunnel/bridges", json={"displayName": "lab"})
            bridge_id = bridge.json()["bridge"]["id"]
            minted = api.post(f"/api/v1/iam/tunnel/bridges/{bridge_id}/credentials", json={})
        credential: dict[str, Any] = minted.json()["credential"]
        assert credential["clientId"] == f"{credential['id']}@127.0.0.1:{port}/tcc"
        token = go_token(credential["clientId"], credential["clientSecret"], ca_only)
        whoami = httpx.get(
            f"{api_base(credential['clientId'])}/api/v1/auth/introspect",
            headers=bearer(token),
            verify=ca_only,
        )
    finally:
        server.stop()
    assert whoami.status_code == 200, whoami.text
    assert whoami.json()["principleId"] == credential["clientId"]


ADMIN_ID = f"{ADMIN_NAME}@127.0.0.1:8443/spc"
ADMIN_SECRET = new_secret()


@pytest.fixture
def self_routed(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        self_route=True,
        host="0.0.0.0",
        port=8443,
        admin_client_id=ADMIN_ID,
        admin_client_secret=ADMIN_SECRET,
    )


def test_self_route_makes_the_tenant_domain_the_servers_own_address(
    self_routed: Settings,
) -> None:
    assert self_routed.tenant_domain == "127.0.0.1:8443"
    assert Settings(self_route=True, host="::1", port=9443).tenant_domain == "[::1]:9443"
    assert Settings(self_route=True, host="10.0.0.5").tenant_domain == "10.0.0.5:8080"
    assert Settings(tenant_domain="acme.conductor.one").tenant_domain == "acme.conductor.one"


@pytest.mark.parametrize(("audience", "status"), [("127.0.0.1", 200), ("evil.example", 401)])
def test_assertions_addressed_to_the_self_routed_host_are_accepted(
    self_routed: Settings, audience: str, status: int
) -> None:
    """Asked through another name (localhost), so that only the tenant domain can make
    `aud` = 127.0.0.1 acceptable."""
    with TestClient(create_app(self_routed), base_url="http://localhost:8443") as client:
        form = assertion_form(ADMIN_ID, go_assertion(ADMIN_ID, ADMIN_SECRET, aud=audience))
        response = client.post("/auth/v1/token", data=form)
    assert response.status_code == status, response.text


def test_minted_client_ids_carry_the_servers_address(self_routed: Settings) -> None:
    with TestClient(create_app(self_routed), base_url="http://127.0.0.1:8443") as client:
        token = client.post("/auth/v1/token", data=secret_form(ADMIN_ID, ADMIN_SECRET))
        admin = bearer(token.json()["access_token"])
        bridge = client.post("/api/v1/iam/tunnel/bridges", json={"displayName": "x"}, headers=admin)
        minted = client.post(
            f"/api/v1/iam/tunnel/bridges/{bridge.json()['bridge']['id']}/credentials",
            json={},
            headers=admin,
        )
    credential = minted.json()["credential"]
    assert credential["clientId"] == f"{credential['id']}@127.0.0.1:8443/tcc"
