"""After a full run against a real server, neither the database files (with -wal and -shm) nor
the server's logs hold any minted secret, its private key ('d'), an access token or an assertion
(a secret appears in exactly one response). On PostgreSQL, every row of every table is searched."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from c1_mock.core.crypto import b64url_decode
from c1_mock.core.models import Base
from tests.helpers import PG_ENV, assertion_form, bearer, go_assertion, secret_form
from tests.reliability import scenarios
from tests.reliability.scenarios import ADMIN_SECRET, API

pytestmark = pytest.mark.process
BACKENDS = ["sqlite", "postgresql"] if os.environ.get(PG_ENV) else ["sqlite"]


def _private_d(secret: str) -> str:
    jwk = json.loads(b64url_decode(secret.rsplit(":", 1)[1]))
    return str(jwk["d"])


def _full_run(box: scenarios.Sandbox) -> list[str]:
    """Bridges, rotations, tokens both ways, failures, revocation; returns every secret seen."""
    seen = [ADMIN_SECRET, _private_d(ADMIN_SECRET)]
    with httpx.Client(base_url=box.url(), timeout=30) as api:
        for n in range(3):
            bridge = api.post(f"{API}/bridges", json={"displayName": f"b{n}"}, headers=box.admin)
            bridge_id = bridge.json()["bridge"]["id"]
            for _ in range(3):
                cred = api.post(
                    f"{API}/bridges/{bridge_id}/credentials", json={}, headers=box.admin
                ).json()["credential"]
                cid, secret = cred["clientId"], cred["clientSecret"]
                assertion = go_assertion(cid, secret)
                seen += [secret, _private_d(secret), assertion]
                for form in (secret_form(cid, secret), assertion_form(cid, assertion)):
                    answer = api.post("/auth/v1/token", data=form)
                    if answer.status_code == 200:
                        token = answer.json()["access_token"]
                        seen.append(token)
                        api.get("/api/v1/auth/introspect", headers=bearer(token))
                api.post("/auth/v1/token", data=secret_form(cid, secret[:-4] + "AAAA"))
                api.get(f"{API}/bridges/{bridge_id}/credentials", headers=box.admin)
            api.delete(f"{API}/credentials/{cred['id']}", headers=box.admin)
        seen.append(box.admin["Authorization"].split()[1])
    return seen


def _database_text(box: scenarios.Sandbox, workdir: Path) -> bytes:
    if box.backend == "sqlite":
        return b"".join(p.read_bytes() for p in workdir.glob("c1-mock.db*"))
    engine = create_engine(box.database_url)
    with engine.connect() as conn:
        rows = [
            str(row).encode()
            for table in Base.metadata.sorted_tables
            for row in conn.execute(text(f"SELECT * FROM {table.name}"))
        ]
    engine.dispose()
    return b"\n".join(rows)


@pytest.mark.parametrize("backend", BACKENDS)
def test_database_and_logs_hold_no_secret_key_token_or_assertion(
    backend: str, tmp_path: Path
) -> None:
    env = {"C1MOCK_LOG_LEVEL": "debug"}
    with scenarios.sandbox(backend, tmp_path, workers=2, env=env) as box:
        seen = _full_run(box)
        at_rest = _database_text(box, tmp_path)  # while running: the -wal is still there
    at_rest += _database_text(box, tmp_path) if backend == "sqlite" else b""
    logs = box.logs().encode()
    assert len(seen) > 30
    assert at_rest and logs
    for value in seen:
        assert value.encode() not in at_rest, value[:12]
        assert value.encode() not in logs, value[:12]
