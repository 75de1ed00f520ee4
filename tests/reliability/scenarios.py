"""Reliability scenarios over real `c1-mock serve` processes, shared by the CI tests (few rounds)
and `benchmarks/reliability.py` (the full figures in the README). Each returns what it measured
and the list of invariant violations it saw; an empty list is a pass."""

from __future__ import annotations

import contextlib
import itertools
import os
import sqlite3
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from c1_mock.core.models import ACTIVE
from c1_mock.testing.process import ServerProcess
from tests.helpers import (
    ADMIN_ID,
    TENANT,
    PostgresBackend,
    assertion_form,
    bearer,
    go_assertion,
    new_secret,
    secret_form,
)

API = "/api/v1/iam/tunnel"
PG_URL = os.environ.get(
    "C1MOCK_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
ADMIN_SECRET = new_secret()


@dataclass
class Sandbox:
    """One database and the servers on it; requests go round-robin over the servers."""

    backend: str
    database_url: str
    servers: list[ServerProcess]
    admin: dict[str, str] = field(default_factory=dict)
    _next: Iterator[int] = field(default_factory=itertools.count)

    def url(self) -> str:
        return self.servers[next(self._next) % len(self.servers)].url

    def logs(self) -> str:
        return "".join(s.output() for s in self.servers)

    def client(self, **options: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url(), timeout=60.0, **options)


def server_env(database_url: str) -> dict[str, str]:
    return {
        "C1MOCK_DATABASE_URL": database_url,
        "C1MOCK_TENANT_DOMAIN": TENANT,
        "C1MOCK_ADMIN_CLIENT_ID": ADMIN_ID,
        "C1MOCK_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
        "C1MOCK_LOG_LEVEL": "warning",
    }


@contextlib.contextmanager
def sandbox(
    backend: str,
    workdir: Path,
    *,
    workers: int = 2,
    servers: int = 1,
    env: dict[str, str] | None = None,
) -> Iterator[Sandbox]:
    """SQLite: one server with `workers` workers. PostgreSQL: `servers` servers on a database of
    its own (dropped afterwards), started at the same time."""
    pg = PostgresBackend(PG_URL) if backend == "postgresql" else None
    url = pg.url if pg else f"sqlite:///{workdir / 'c1-mock.db'}"
    procs = [
        ServerProcess(
            {**server_env(url), **(env or {})},
            log_path=workdir / f"serve-{i}.log",
            args=["--workers", str(workers)],
        )
        for i in range(servers)
    ]
    try:
        with ThreadPoolExecutor(len(procs)) as pool:
            list(pool.map(lambda p: p.start(timeout=60.0), procs))
        box = Sandbox(backend, url, procs)
        box.admin = bearer(token(box.url(), ADMIN_ID, ADMIN_SECRET))
        yield box
    finally:
        for proc in procs:
            proc.stop()
        if pg is not None:
            pg.close()


def token(url: str, client_id: str, secret: str) -> str:
    response = httpx.post(f"{url}/auth/v1/token", data=secret_form(client_id, secret), timeout=60)
    response.raise_for_status()
    value: str = response.json()["access_token"]
    return value


def new_bridge(box: Sandbox, name: str = "bridge") -> str:
    with box.client() as api:
        response = api.post(f"{API}/bridges", json={"displayName": name}, headers=box.admin)
        response.raise_for_status()
        bridge_id: str = response.json()["bridge"]["id"]
        return bridge_id


def credentials_of(box: Sandbox, bridge_id: str) -> list[dict[str, Any]]:
    """Every credential of the bridge, following nextPageToken (pages hold at most 1000)."""
    listed: list[dict[str, Any]] = []
    page_token = ""
    with box.client() as api:
        while True:
            response = api.get(
                f"{API}/bridges/{bridge_id}/credentials",
                params={"pageSize": 1000, "pageToken": page_token},
                headers=box.admin,
            )
            response.raise_for_status()
            listed += response.json()["list"]
            page_token = response.json()["nextPageToken"]
            if not page_token:
                return listed


def parallel(calls: list[Callable[[], Any]]) -> list[Any]:
    """Every call on its own thread, released together."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


@dataclass
class Mint:
    bridge_id: str
    status: int
    seconds: float
    body: dict[str, Any]
    text: str
    retry_after: str | None = None


def mint_call(box: Sandbox, bridge_id: str) -> Callable[[], Mint]:
    url = box.url()  # spread over the servers

    def call() -> Mint:
        with httpx.Client(base_url=url, timeout=120.0) as api:
            started = time.perf_counter()
            response = api.post(
                f"{API}/bridges/{bridge_id}/credentials", json={}, headers=box.admin
            )
            seconds = time.perf_counter() - started
        body = (
            response.json()
            if response.headers.get("content-type", "").startswith("application/json")
            else {}
        )
        retry_after = response.headers.get("Retry-After")
        return Mint(bridge_id, response.status_code, seconds, body, response.text, retry_after)

    return call


@dataclass
class RotationResult:
    calls: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    locked: int = 0
    violations: list[str] = field(default_factory=list)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else 0.0

    @property
    def p99_ms(self) -> float:
        return self.percentile(0.99) * 1000

    @property
    def errors_5xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


def rotation(box: Sandbox, *, calls: int, rounds: int, bridges: int = 1) -> RotationResult:
    """`calls` concurrent CreateBridgeCredential calls on each of `bridges` bridges, `rounds`
    times. After each round: exactly one ACTIVE credential per bridge, minted this round; every
    secret ever minted distinct; each bridge lists only its own credentials; only the ACTIVE
    credential's secret gets a token."""
    result = RotationResult()
    ids = [new_bridge(box, f"rotation-{i}") for i in range(bridges)]
    seen_secrets: set[str] = set()
    owner: dict[str, str] = {}
    for round_no in range(rounds):
        mints = parallel([mint_call(box, b) for b in ids for _ in range(calls)])
        _tally(result, mints)
        for bridge_id in ids:
            ours = [
                m.body["credential"] for m in mints if m.bridge_id == bridge_id and m.status == 200
            ]
            _check_round(
                box,
                result,
                f"round {round_no} bridge {bridge_id}",
                bridge_id,
                ours,
                seen_secrets,
                owner,
            )
    result.locked += box.logs().lower().count("database is locked")
    return result


def _tally(result: RotationResult, mints: list[Mint]) -> None:
    for m in mints:
        result.calls += 1
        result.statuses[m.status] += 1
        result.latencies.append(m.seconds)
        result.locked += "database is locked" in m.text.lower()


def _check_round(
    box: Sandbox,
    result: RotationResult,
    where: str,
    bridge_id: str,
    minted: list[dict[str, Any]],
    seen_secrets: set[str],
    owner: dict[str, str],
) -> None:
    bad = result.violations.append
    for cred in minted:
        if cred["clientSecret"] in seen_secrets:
            bad(f"{where}: secret of {cred['id']} seen before")
        seen_secrets.add(cred["clientSecret"])
        owner[cred["id"]] = bridge_id
    listed = credentials_of(box, bridge_id)
    active = [c["id"] for c in listed if c["credentialStatus"] == ACTIVE]
    if len(active) != 1:
        bad(f"{where}: {len(active)} ACTIVE credentials")
    if any(owner.get(c["id"], bridge_id) != bridge_id for c in listed):
        bad(f"{where}: lists another bridge's credential")
    if active and active[0] not in {c["id"] for c in minted}:
        bad(f"{where}: the ACTIVE credential was not minted in this round")
    codes = parallel([_token_call(box, c) for c in minted])
    for cred, code in zip(minted, codes, strict=True):
        want = 200 if cred["id"] in active else 401
        if code != want:
            bad(f"{where}: {cred['id']} ({'active' if want == 200 else 'revoked'}) got a {code}")


def _token_call(box: Sandbox, cred: dict[str, Any]) -> Callable[[], int]:
    url = box.url()

    def call() -> int:
        form = secret_form(cred["clientId"], cred["clientSecret"])
        return httpx.post(f"{url}/auth/v1/token", data=form, timeout=120).status_code

    return call


@dataclass
class ReplayResult:
    statuses: Counter[int]
    violations: list[str]


def replay(box: Sandbox, *, copies: int = 50) -> ReplayResult:
    """One valid assertion sent `copies` times at once, over every server: exactly one 200."""
    bridge_id = new_bridge(box, "replay")
    minted = mint_call(box, bridge_id)().body["credential"]
    form = assertion_form(
        minted["clientId"], go_assertion(minted["clientId"], minted["clientSecret"])
    )
    urls = [box.url() for _ in range(copies)]
    codes = parallel(
        [
            lambda u=u: httpx.post(f"{u}/auth/v1/token", data=form, timeout=120).status_code
            for u in urls
        ]
    )
    statuses = Counter(codes)
    # The copies that lose are failed authentications: 401, then 429 once the brute-force guard
    # has counted max_failed_auths of them.
    refused = statuses[401] + statuses[429]
    ok = statuses[200] == 1 and refused == copies - 1
    violations = [] if ok else [f"statuses {dict(statuses)}"]
    return ReplayResult(statuses, violations)


@dataclass
class CrashResult:
    answered: int
    bridges: int
    violations: list[str]
    integrity: str


def crash(
    backend: str, workdir: Path, *, bridges: int = 4, threads: int = 8, load_seconds: float = 1.0
) -> CrashResult:
    """kill -9 of a server under mint load, then a restart on the same database."""
    pg = PostgresBackend(PG_URL) if backend == "postgresql" else None
    url = pg.url if pg else f"sqlite:///{workdir / 'crash.db'}"
    try:
        server = ServerProcess(
            server_env(url), log_path=workdir / "crash.log", args=["--workers", "2"]
        ).start()
        box = Sandbox(backend, url, [server])
        box.admin = bearer(token(server.url, ADMIN_ID, ADMIN_SECRET))
        ids = [new_bridge(box, f"crash-{i}") for i in range(bridges)]
        answered = _mint_until_killed(box, server, ids, threads, load_seconds)
        server.start(timeout=60.0)
        try:
            violations = _after_crash(box, ids, answered)
        finally:
            server.stop()
        integrity = _integrity(backend, url)
        if integrity != "ok":
            violations.append(f"integrity check: {integrity}")
        return CrashResult(len(answered), bridges, violations, integrity)
    finally:
        if pg is not None:
            pg.close()


def _mint_until_killed(
    box: Sandbox, server: ServerProcess, ids: list[str], threads: int, seconds: float
) -> list[dict[str, Any]]:
    answered: list[dict[str, Any]] = []
    stop = threading.Event()

    def load(n: int) -> None:
        with httpx.Client(base_url=server.url, timeout=10.0) as api:
            while not stop.is_set():
                try:
                    r = api.post(
                        f"{API}/bridges/{ids[n % len(ids)]}/credentials", json={}, headers=box.admin
                    )
                except httpx.TransportError:
                    continue
                if r.status_code == 200:
                    answered.append(r.json()["credential"])

    workers = [threading.Thread(target=load, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    time.sleep(seconds)
    server.kill()  # kill -9 of the parent and its workers, mid-request
    stop.set()
    for w in workers:
        w.join()
    return answered


def _after_crash(box: Sandbox, ids: list[str], answered: list[dict[str, Any]]) -> list[str]:
    violations = []
    with box.client() as api:
        # The token from before the crash still verifies: the signing key is stored.
        if api.get("/api/v1/auth/introspect", headers=box.admin).status_code != 200:
            violations.append("the access token from before the crash no longer works")
    listed = {c["id"]: c for b in ids for c in credentials_of(box, b)}
    for b in ids:
        active = [
            c for c in listed.values() if c["bridgeId"] == b and c["credentialStatus"] == ACTIVE
        ]
        if len(active) > 1:
            violations.append(f"bridge {b}: {len(active)} ACTIVE credentials")
    lost = [c["id"] for c in answered if c["id"] not in listed]
    if lost:
        violations.append(f"{len(lost)} credentials answered 200 before the kill are gone")
    return violations


def _integrity(backend: str, url: str) -> str:
    if backend == "sqlite":
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as conn:
            return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        # PostgreSQL has no integrity_check: check that the indexes agree with the tables.
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS amcheck"))
        rows = conn.execute(
            text(
                "SELECT bt_index_check(c.oid, true) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'btree' "
                "AND c.relnamespace = 'public'::regnamespace"
            )
        ).all()
    engine.dispose()
    return "ok" if rows else "no indexes checked"


@dataclass
class LockResult:
    status: int
    retry_after: str | None
    waited: float
    violations: list[str]


def lock_contention(box: Sandbox, *, hold: float = 2.0) -> LockResult:
    """Another connection holds the write lock for `hold` seconds while a mint comes in: the mint
    waits and succeeds, or answers 503 with Retry-After; never a 500."""
    bridge_id = new_bridge(box, "contended")
    holding = threading.Event()
    release = threading.Thread(target=_hold_lock, args=(box, bridge_id, hold, holding))
    release.start()
    holding.wait(30)
    m = mint_call(box, bridge_id)()
    release.join()
    violations = []
    if m.status == 503 and not m.retry_after:
        violations.append("503 without Retry-After")
    elif m.status not in (200, 503):
        violations.append(f"mint under a held lock answered {m.status}: {m.text[:200]}")
    return LockResult(m.status, m.retry_after, m.seconds, violations)


def _hold_lock(box: Sandbox, bridge_id: str, hold: float, holding: threading.Event) -> None:
    if box.backend == "sqlite":
        conn = sqlite3.connect(box.database_url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")  # the database's write lock
        holding.set()
        time.sleep(hold)
        conn.execute("ROLLBACK")
        conn.close()
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(box.database_url)
    with engine.begin() as conn:
        conn.execute(text("SELECT id FROM bridges WHERE id = :id FOR UPDATE"), {"id": bridge_id})
        holding.set()
        time.sleep(hold)
    engine.dispose()
