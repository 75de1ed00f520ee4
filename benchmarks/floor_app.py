"""The floor: the least the token endpoint (client_secret_post) and CreateBridgeCredential must do
per request, written by hand, so that `make bench` shows how close to the bare endpoint any
implementation of them could come. Served exactly like the bare baseline
(c1_mock.cli.uvicorn_options).

What each request must do, and nothing more: read and parse the body, one indexed SELECT, check the
secret (SHA-256 + hmac.compare_digest) or the bearer token (with c1-mock's own Signer, which checks
a token's EdDSA signature once), one write transaction under c1-mock's cross-process write turn
(c1_mock.core.write_turn.WriteTurn, then BEGIN IMMEDIATE ... COMMIT on SQLite in WAL mode) that
also writes the journal row, and sign the access token (Signer again) or make the new secret as
c1-mock does. The endpoints are `async def` and work inline, on one stdlib sqlite3 connection per
process: no thread-pool hop, no ORM, no validation models.

Run as `python -m benchmarks.floor_app --port P --workers N --log-level L --database FILE`; it
creates the schema and the signing key before the workers start. `POST /floor/setup` adds a bridge
with one ACTIVE client and answers their ids, the client's secret and an admin token.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from c1_mock.cli import uvicorn_options
from c1_mock.config import Settings
from c1_mock.core.crypto import new_private_key, new_secret, private_key_text
from c1_mock.core.ids import Random
from c1_mock.core.write_turn import WriteTurn
from c1_mock.oauth.jwts import JWTRejected
from c1_mock.oauth.signer import Signer

DATABASE_ENV = "C1MOCK_FLOOR_DATABASE"
TENANT = "floor.conductor.one"
ISSUER = f"https://{TENANT}"
LIFETIME = 3600
BINDING = "floor"  # the floor keeps no client records to bind tokens to
ACTIVE = "ACTIVE"
TOKEN_PATH = "/floor/token"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_DUMMY_DIGEST = hashlib.sha256(b"unknown client").hexdigest()
RANDOM = Random()

SCHEMA = """
CREATE TABLE IF NOT EXISTS bridges (id TEXT PRIMARY KEY, display_name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clients (
    client_id TEXT PRIMARY KEY,
    bridge_id TEXT REFERENCES bridges(id),
    status TEXT NOT NULL,
    secret_digest TEXT NOT NULL,
    public_key TEXT,
    last_used_at REAL
);
-- As in c1-mock: at most one ACTIVE client per bridge, and the index that finds it.
CREATE UNIQUE INDEX IF NOT EXISTS clients_active ON clients (bridge_id) WHERE status = 'ACTIVE';
CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER NOT NULL,
    client_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS signing_key (kid TEXT PRIMARY KEY, private_key TEXT NOT NULL);
"""
ADD_CLIENT = """INSERT INTO clients (client_id, bridge_id, status, secret_digest, public_key)
VALUES (?, ?, 'ACTIVE', ?, ?)"""


def connect(path: str) -> sqlite3.Connection:
    """A connection set up as c1-mock sets up its own (core/db.py); transactions are explicit."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=10000"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def init(path: str) -> None:
    """The schema and the signing key (shared by the workers): once, before they start."""
    conn = connect(path)
    try:
        conn.executescript(SCHEMA)
        if conn.execute("SELECT 1 FROM signing_key").fetchone() is None:
            key = private_key_text(new_private_key(RANDOM))
            conn.execute("INSERT INTO signing_key VALUES (?, ?)", (key[:16], key))
    finally:
        conn.close()


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class Floor:
    """One process's connection, write turn and signing key."""

    conn: sqlite3.Connection
    write_turn: WriteTurn
    signer: Signer

    @classmethod
    def open(cls, path: str) -> Floor:
        conn = connect(path)
        kid, text = conn.execute("SELECT kid, private_key FROM signing_key").fetchone()
        return cls(
            conn, WriteTurn(path, timeout=10), Signer(kid, text, ISSUER, RANDOM, lifetime=LIFETIME)
        )

    def caller(self, authorization: str) -> str | None:
        """The client id in a valid `Bearer <access token>` this floor signed, else None:
        checked by c1-mock's own Signer, as c1-mock checks one."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return None
        try:
            return self.signer.verify(token, now=datetime.now(UTC)).client_id
        except JWTRejected:
            return None

    def sign(self, client_id: str) -> str:
        """An access token, signed by c1-mock's own Signer."""
        return self.signer.issue(client_id, binding=BINDING, now=datetime.now(UTC))

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, in c1-mock's cross-process write turn."""
        with self.write_turn():
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.floor = Floor.open(os.environ[DATABASE_ENV])  # each worker process opens its own
    yield
    app.state.floor.conn.close()


app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, lifespan=lifespan)


def journal(conn: sqlite3.Connection, path: str, status: int, client_id: str) -> None:
    sql = "INSERT INTO journal (at, method, path, status, client_id) VALUES (?, 'POST', ?, ?, ?)"
    conn.execute(sql, (time.time(), path, status, client_id))


@app.post(TOKEN_PATH)
async def token(request: Request) -> JSONResponse:
    floor: Floor = request.app.state.floor
    form = dict(parse_qsl((await request.body()).decode()))
    if form.get("grant_type") != "client_credentials":
        return JSONResponse({"error": "unsupported_grant_type"}, 400, NO_STORE)
    client_id = form.get("client_id", "")
    row = floor.conn.execute(
        "SELECT status, secret_digest FROM clients WHERE client_id = ?", (client_id,)
    ).fetchone()
    stored = row[1] if row else _DUMMY_DIGEST
    matches = hmac.compare_digest(digest(form.get("client_secret", "")), stored)
    if not (row and matches and row[0] == ACTIVE):
        return JSONResponse({"error": "invalid_client"}, 401, NO_STORE)
    mark_used = "UPDATE clients SET last_used_at = ? WHERE client_id = ? AND status = 'ACTIVE'"
    with floor.transaction() as conn:
        used = conn.execute(mark_used, (time.time(), client_id)).rowcount == 1
        journal(conn, TOKEN_PATH, 200 if used else 401, client_id)
    if not used:  # revoked since the SELECT
        return JSONResponse({"error": "invalid_client"}, 401, NO_STORE)
    body = {"access_token": floor.sign(client_id), "token_type": "Bearer"}
    return JSONResponse(body | {"expires_in": LIFETIME}, headers=NO_STORE)


@app.post("/floor/mint/{bridge_id}")
async def mint(bridge_id: str, request: Request) -> JSONResponse:
    floor: Floor = request.app.state.floor
    caller = floor.caller(request.headers.get("authorization", ""))
    if caller is None:
        return JSONResponse({"code": 16, "message": "invalid or expired access token"}, 401)
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return JSONResponse({"code": 3, "message": "the body must be a JSON object"}, 400)
    if floor.conn.execute("SELECT 1 FROM bridges WHERE id = ?", (bridge_id,)).fetchone() is None:
        return JSONResponse({"code": 5, "message": "bridge not found"}, 404)
    secret, public_key = new_secret(RANDOM)
    client_id = f"{secrets.token_hex(12)}@{TENANT}/pcc"
    revoke = "UPDATE clients SET status = 'REVOKED' WHERE bridge_id = ? AND status = 'ACTIVE'"
    with floor.transaction() as conn:
        conn.execute(revoke, (bridge_id,))
        conn.execute(ADD_CLIENT, (client_id, bridge_id, digest(secret), public_key))
        journal(conn, request.scope["path"], 200, caller)
    return JSONResponse({"clientId": client_id, "clientSecret": secret}, headers=NO_STORE)


@app.post("/floor/setup")
async def setup(request: Request) -> JSONResponse:
    """A new bridge with one ACTIVE client, and an admin token: what the benchmark uses."""
    floor: Floor = request.app.state.floor
    bridge_id, client_id = secrets.token_hex(8), f"{secrets.token_hex(12)}@{TENANT}/pcc"
    secret, public_key = new_secret(RANDOM)
    add_bridge = "INSERT INTO bridges (id, display_name) VALUES (?, 'floor')"
    with floor.transaction() as conn:
        conn.execute(add_bridge, (bridge_id,))
        conn.execute(ADD_CLIENT, (client_id, bridge_id, digest(secret), public_key))
    admin_token = floor.sign(f"floor-admin@{TENANT}/spc")
    body = {"bridgeId": bridge_id, "clientId": client_id, "clientSecret": secret}
    return JSONResponse(body | {"adminToken": admin_token})


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def main() -> None:
    parser = argparse.ArgumentParser(prog="benchmarks.floor_app")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--database", required=True)
    args = parser.parse_args()
    database = os.path.abspath(args.database)
    init(database)
    os.environ[DATABASE_ENV] = database  # inherited by the worker processes
    settings = Settings(port=args.port, workers=args.workers, log_level=args.log_level)
    uvicorn.run("benchmarks.floor_app:app", **uvicorn_options(settings))


if __name__ == "__main__":
    main()
