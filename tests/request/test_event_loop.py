"""The token endpoint and mints run on the event loop on SQLite; the loop never waits there for the
write turn. While a long seed holds the turn (in a thread of one worker), every worker keeps
answering health checks and ends a fault's delay on time, and the token requests that queued
for the turn answer once it is free."""

from __future__ import annotations

import itertools
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from c1_mock.testing.process import ServerProcess
from tests.helpers import ADMIN_ID, ADMIN_SECRET, new_secret, secret_form, served_env

BRIDGES, CREDENTIALS_EACH = 1000, 4
REVOKED = "TUNNEL_CREDENTIAL_STATUS_REVOKED"


def _long_seed() -> str:
    """A seed document that takes seconds to apply: thousands of credentials, each stored with
    its own row, digest and public key."""
    secret = new_secret()
    bridges = [
        {
            "displayName": f"bridge {b}",
            "credentials": [
                {"id": f"seeded-{b}-{c}", "clientSecret": secret, "status": REVOKED}
                for c in range(CREDENTIALS_EACH)
            ],
        }
        for b in range(BRIDGES)
    ]
    return json.dumps({"bridges": bridges})


@pytest.mark.process
@pytest.mark.parametrize("workers", [1, 2])
def test_a_long_seed_holds_up_no_health_check_no_fault_delay_and_no_token_request(
    tmp_path: Path, workers: int
) -> None:
    env = served_env(tmp_path, {"C1MOCK_MAX_BODY_SIZE": str(8 * 2**20)})
    document = _long_seed()
    server = ServerProcess(env, log_path=tmp_path / "server.log", args=["--workers", str(workers)])
    with server, httpx.Client(base_url=server.url, timeout=120) as http:
        http.post("/_mock/faults", json={"operation": "jwks", "delayMs": 1000, "times": 1})

        def seed() -> float:
            response = http.post(
                "/_mock/seed", content=document, headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 200, response.text
            return time.monotonic()

        def delayed_jwks() -> float:
            assert http.get("/auth/v1/jwks").status_code == 200
            return time.monotonic()

        def token() -> int:
            return http.post("/auth/v1/token", data=secret_form(ADMIN_ID, ADMIN_SECRET)).status_code

        with ThreadPoolExecutor(max_workers=16) as pool:
            jwks = pool.submit(delayed_jwks)
            while http.get("/_mock/faults").json()["faults"]:  # until it took the fault
                time.sleep(0.01)
            seeded = pool.submit(seed)
            time.sleep(0.5)  # the seed is being applied, holding the write turn
            tokens = [pool.submit(token) for _ in range(8)]  # they queue on the loops
            health = []
            while not seeded.done():
                assert http.get("/healthz").status_code == 200
                health.append(time.monotonic())
                time.sleep(0.05)
            seed_done = seeded.result()
            statuses = [t.result() for t in tokens]

    assert statuses == [200] * 8  # answered once the turn was free
    # Answered while the seed still held the turn: the loops were never held up by it.
    assert jwks.result() < seed_done
    during = [answered for answered in health if answered < seed_done]
    assert len(during) >= 5
    assert max(b - a for a, b in itertools.pairwise(during)) < 1.0
