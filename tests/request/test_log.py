"""c1-mock's own request log, in place of uvicorn's access log: one line per request (time,
method, path with ids kept and anything else redacted, operationId, status, client id, latency,
`fault`), as text or JSON, and never a path or query string as sent."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from c1_mock.testing.process import ServerProcess
from tests.helpers import (
    ADMIN_ID,
    ADMIN_SECRET,
    BRIDGES,
    add_fault,
    bearer,
    secret_form,
    served_env,
)


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "c1mock.requests"]


def test_each_request_is_one_line_with_what_identifies_it(
    client: TestClient, admin: dict[str, str], bridge: dict[str, Any], caplog: Any
) -> None:
    caplog.set_level(logging.INFO, logger="c1mock.requests")

    client.get(f"{BRIDGES}/{bridge['id']}?pageToken=secret-token:x", headers=admin)
    add_fault(client, operation="GetBridge", status=503)
    client.get(f"{BRIDGES}/{bridge['id']}", headers=admin)

    get, fault, faulted = _lines(caplog)
    path = f"{BRIDGES}/{bridge['id']}"
    assert get.startswith(f"GET {path} c1.api.iam.v1.TunnelCredentialsService.GetBridge 200 ")
    assert f"client={ADMIN_ID}" in get and get.endswith("ms")
    assert fault.startswith("POST /_mock/faults c1mock.Control.AddFault 200 client=- ")
    assert faulted.startswith(f"GET {path} ") and " 503 " in faulted
    assert faulted.endswith(" fault")
    assert "secret-token" not in get and "pageToken" not in get


@pytest.mark.process
def test_serve_logs_requests_as_json_and_never_as_uvicorn_prints_them(tmp_path: Path) -> None:
    env = served_env(tmp_path)
    server = ServerProcess(env, log_path=tmp_path / "serve.log", args=["--log-format", "json"])
    with server, httpx.Client(base_url=server.url) as http:
        token = http.post("/auth/v1/token", data=secret_form(ADMIN_ID, ADMIN_SECRET))
        access = token.json()["access_token"]
        http.get(f"{BRIDGES}/{access}?secret={ADMIN_SECRET}", headers=bearer(access))
        http.get("/healthz")
    output = server.output()

    logged = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    requests = [line for line in logged if line["logger"] == "c1mock.requests"]
    api = [r for r in requests if r["path"] != "/healthz"]  # the start-up probes' too
    assert [(r["method"], r["status"]) for r in api] == [("POST", 200), ("GET", 404)]
    assert api[0]["clientId"] == ADMIN_ID and api[0]["operationId"] == "token"
    assert api[1]["path"] == f"{BRIDGES}/[redacted: {len(access)} characters]"
    assert {"time", "level", "latencyMs", "fault"} <= api[0].keys()
    assert requests[-1]["path"] == "/healthz"
    assert "HTTP/1.1" not in output
    for value in (access, ADMIN_SECRET, "secret-token:"):
        assert value not in output
