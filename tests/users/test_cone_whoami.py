"""`cone whoami`, emulated (cone is a Go binary that cannot be installed here): what it sends to a
self-routed c1-mock over TLS with nothing but a client id and secret, and the fields of the answer
it prints. cone takes the host from the client id, always speaks https, signs its assertion as C1's
Go SDK does (`aud` the host without its port), calls Introspect, then GetUser with the userId
Introspect answered; it stops with "view is nil" or "user is nil" when either is missing, and
prints Email, Status, Job Title, Department, Employment Status, Employment Type and Created At."""

from __future__ import annotations

import json
import ssl
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from c1_mock.server import tls
from c1_mock.testing.process import ServerProcess, free_port
from tests.helpers import assertion_form, bearer, go_assertion, new_secret

PRINTED_STRINGS = ("email", "status", "jobTitle", "department", "employmentStatus")


def whoami(client_id: str, secret: str, verify: ssl.SSLContext) -> dict[str, Any]:
    """cone whoami's two calls after its token; the User it prints."""
    host = client_id.split("@", 1)[1].split("/", 1)[0]
    assertion = go_assertion(client_id, secret, aud=tls.host_of(host))
    with httpx.Client(base_url=f"https://{host}", verify=verify) as api:
        token = api.post("/auth/v1/token", data=assertion_form(client_id, assertion))
        assert token.status_code == 200, token.text
        api.headers.update(bearer(token.json()["access_token"]))
        me = api.get("/api/v1/auth/introspect")
        assert me.status_code == 200, me.text
        got = api.get(f"/api/v1/users/{me.json()['userId']}")
    assert got.status_code == 200, got.text
    view = got.json()["userView"]
    assert view is not None, "view is nil"
    assert view["user"] is not None, "user is nil"
    return {"introspect": me.json(), "user": view["user"]}


@pytest.mark.process
def test_cone_whoami_finds_the_admins_service_user_on_a_self_routed_server(
    tmp_path: Path,
) -> None:
    port = free_port()
    robot, robot_secret = f"cone-robot-00001@127.0.0.1:{port}/spc", new_secret()
    seed = tmp_path / "seed.json"
    user = {"displayName": "cone robot", "email": "cone-robot@acme.example"}
    admins = [{"clientId": robot, "clientSecret": robot_secret, "user": user}]
    seed.write_text(json.dumps({"admins": admins}))
    env = {
        "C1MOCK_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "C1MOCK_ADMIN_CLIENT_ID": f"operator-00001@127.0.0.1:{port}/spc",
        "C1MOCK_ADMIN_CLIENT_SECRET": new_secret(),
        "C1MOCK_SEED_FILE": str(seed),
    }
    args = ["--tls", "--tls-dir", str(tmp_path / "tls"), "--self-route"]
    server = ServerProcess(env, log_path=tmp_path / "serve.log", port=port, args=args)
    server.scheme = "https"
    server.start(verify=False)  # ca.pem appears during this first start
    try:
        ca_only = ssl.create_default_context(cafile=tmp_path / "tls" / tls.CA_CERT)
        found = whoami(robot, robot_secret, ca_only)
    finally:
        server.stop()

    assert found["introspect"]["tenantId"] == f"127.0.0.1:{port}"
    printed = found["user"]
    assert (printed["id"], printed["type"]) == ("cone-robot-00001", "USER_TYPE_SERVICE")
    assert printed["email"] == "cone-robot@acme.example"
    assert all(isinstance(printed[name], str) for name in (*PRINTED_STRINGS, "employmentType"))
    assert printed["status"] == "ENABLED"
    assert datetime.fromisoformat(printed["createdAt"].replace("Z", "+00:00")).tzinfo is not None
