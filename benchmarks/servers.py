"""The servers under test: `c1-mock serve` (c1_mock.testing.process.ServerProcess) and the
baselines (the bare endpoint, benchmarks/bare_app.py, and the floor, benchmarks/floor_app.py), each
on a free port with the same workers and log level, and the state the benchmark needs."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from c1_mock.core.db import normalise_url
from c1_mock.testing import assertions as signed
from c1_mock.testing.client import C1Mock
from c1_mock.testing.process import ServerProcess, free_port, wait_healthy

TENANT = "bench.conductor.one"
ADMIN_ID = "bench-admin-00001@bench.conductor.one/spc"
ADMIN_SECRET = C1Mock.new_secret()


def c1_mock(database_url: str, *, workers: int, log_level: str, log_path: Path) -> ServerProcess:
    env = {
        "C1MOCK_DATABASE_URL": database_url,
        "C1MOCK_TENANT_DOMAIN": TENANT,
        "C1MOCK_ADMIN_CLIENT_ID": ADMIN_ID,
        "C1MOCK_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
    }
    args = ["--workers", str(workers), "--log-level", log_level]
    return ServerProcess(env, log_path=log_path, args=args)


@contextlib.contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the PostgreSQL server `server_url` names, dropped afterwards:
    yields its URL."""
    name = f"c1mock_bench_{secrets.token_hex(4)}"
    admin = create_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield (
                make_url(normalise_url(server_url))
                .set(database=name)
                .render_as_string(hide_password=False)
            )
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@contextlib.contextmanager
def baseline(
    module: str, *, workers: int, log_level: str, log_path: Path, extra_args: Sequence[str] = ()
) -> Iterator[tuple[str, int]]:
    """A baseline app (`python -m module`) in its own process group; yields its base URL and
    process group id."""
    port = free_port()
    command = [sys.executable, "-m", module, "--port", str(port)]
    command += ["--workers", str(workers), "--log-level", log_level, *extra_args]
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url, proc)
            yield url, proc.pid
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(15)


@dataclass(frozen=True)
class State:
    """What the timed phases use: an admin token, a credential, and a bridge to rotate."""

    admin_token: str
    client_id: str
    client_secret: str
    mint_bridge_id: str


def prepare(url: str) -> State:
    with httpx.Client(base_url=url, timeout=30) as api:
        mock = C1Mock(api, admin_client_id=ADMIN_ID, admin_client_secret=ADMIN_SECRET)
        minted = mock.mint(mock.create_bridge("token")["id"])
        rotated = mock.create_bridge("mint")["id"]
        return State(mock.admin_token(), minted["clientId"], minted["clientSecret"], rotated)


def prepare_floor(url: str) -> State:
    """The same state from the floor app: one bridge with a client to take tokens for, and
    another bridge to rotate."""
    with httpx.Client(base_url=url, timeout=30) as api:
        token, mint = (api.post("/floor/setup").raise_for_status().json() for _ in range(2))
    return State(mint["adminToken"], token["clientId"], token["clientSecret"], mint["bridgeId"])


def assertions(client_id: str, secret: str, count: int) -> Iterator[str]:
    """Client assertions as C1's Go SDK signs them, each with its own nonce; valid for 4 minutes
    (the server accepts at most 5), so they are signed before the timed phase."""
    claims = signed.claims(client_id, [TENANT], exp=int(time.time()) + 240)
    for _ in range(count):
        yield signed.sign(secret, claims)
