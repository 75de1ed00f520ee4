"""`make bench`: c1-mock's token endpoint (client_secret_post and private_key_jwt) and
CreateBridgeCredential against two baselines, all served the same way and loaded by the same
generator with the same connections and durations, plus the start-up time to a healthy /healthz.
Prints a table and writes JSON under benchmarks/results/.

The baselines: the floor (benchmarks/floor_app.py), a hand-written token endpoint and
CreateBridgeCredential that do only the work every implementation must do (parse, one SELECT,
check the secret or bearer token, one SQLite write transaction with its journal row, sign or make
a secret), which shows how close to the bare endpoint any implementation could come; and a bare
FastAPI endpoint (benchmarks/bare_app.py). "vs bare" is each row's throughput over the bare one's,
"vs floor" each c1-mock row's over its floor row's (the token rows over the floor's token, the
mint over the floor's mint), beside the target for it.

With C1MOCK_BENCH_DATABASE_URL (or --database-url) naming a PostgreSQL server, c1-mock's rows are
measured again on a database created there for the run (and dropped after it), and reported
beside the others.

Options: --workers (2), --connections (16), --seconds (5), --startup-runs (5), --log-level,
--database-url.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from benchmarks import load, servers
from benchmarks.load import Result
from c1_mock.oauth.jwts import ASSERTION_TYPE

RESULTS = Path(__file__).parent / "results"
DATABASE_ENV = "C1MOCK_BENCH_DATABASE_URL"
FLOOR_TOKEN, FLOOR_MINT = "floor: token, client_secret_post", "floor: CreateBridgeCredential"
# Each c1-mock row: its floor row, and the least share of that floor's throughput it should reach.
TARGETS = {
    "token, client_secret_post": (FLOOR_TOKEN, 0.5),
    "token, private_key_jwt": (FLOOR_TOKEN, 0.4),
    "CreateBridgeCredential": (FLOOR_MINT, 0.5),
}
POSTGRESQL = " (PostgreSQL)"

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
WARMUP_SECONDS = 1


class Bench:
    """One temp directory, one set of options; each endpoint is warmed up, then timed."""

    def __init__(self, tmp: Path, options: argparse.Namespace) -> None:
        self.tmp = tmp
        self.options = options

    def measure(
        self,
        url: str,
        name: str,
        bodies: list[str],
        *,
        pgid: int,
        content_type: str,
        **headers: str,
    ) -> Result:
        """Warm up, then time; bodies are split between the phases in proportion to their
        length, so single-use ones are never sent twice."""
        lua = load.script(self.tmp / f"{name}.lua", content_type=content_type, headers=headers)
        split = max(1, len(bodies) * WARMUP_SECONDS // (WARMUP_SECONDS + self.options.seconds))
        result = None
        for phase, seconds, part in (
            ("warmup", WARMUP_SECONDS, bodies[:split]),
            ("timed", self.options.seconds, bodies[split:]),
        ):
            path = self.tmp / f"{name}.{phase}.bodies"
            path.write_text("\n".join(part))
            cpu = load.group_cpu_seconds(pgid)
            result = load.run(
                url, lua=lua, bodies=path, seconds=seconds, connections=self.options.connections
            )
            cpu = load.group_cpu_seconds(pgid) - cpu
        assert result is not None
        return replace(result, cpu_ms=cpu * 1000 / max(1, result.requests))

    def c1_mock(self, database_url: str | None = None) -> dict[str, Result]:
        """c1-mock's rows, on a fresh SQLite file or on `database_url`."""
        options = self.options
        server = servers.c1_mock(
            database_url or f"sqlite:///{self.tmp / 'bench.db'}",
            workers=options.workers,
            log_level=options.log_level,
            log_path=self.tmp / "c1-mock.log",
        )
        with server:
            assert server.proc is not None
            state = servers.prepare(server.url)
            return self._endpoints(server.url, server.proc.pid, state)

    def _endpoints(self, url: str, pgid: int, state: servers.State) -> dict[str, Result]:
        token_url = f"{url}/auth/v1/token"
        by_secret = self._secret_post(token_url, "secret", state, pgid)
        # Nonces are single-use: sign more than the faster secret method managed in both phases.
        count = int(by_secret.rps * (self.options.seconds + WARMUP_SECONDS) * 1.5) + 2000
        signed = servers.assertions(state.client_id, state.client_secret, count)
        base = {"grant_type": "client_credentials", "client_id": state.client_id}
        bodies = [_assertion_body(base, assertion) for assertion in signed]
        by_jwt = self.measure(token_url, "jwt", bodies, pgid=pgid, content_type=FORM)
        mint_url = f"{url}/api/v1/iam/tunnel/bridges/{state.mint_bridge_id}/credentials"
        return {
            "token, client_secret_post": by_secret,
            "token, private_key_jwt": by_jwt,
            "CreateBridgeCredential": self._mint(mint_url, "mint", state, pgid),
        }

    def _secret_post(self, url: str, name: str, state: servers.State, pgid: int) -> Result:
        form = {"grant_type": "client_credentials", "client_id": state.client_id}
        body = urlencode({**form, "client_secret": state.client_secret})
        return self.measure(url, name, [body] * 2, pgid=pgid, content_type=FORM)

    def _mint(self, url: str, name: str, state: servers.State, pgid: int) -> Result:
        admin = f"Bearer {state.admin_token}"
        return self.measure(
            url, name, ["{}"] * 2, pgid=pgid, content_type=JSON, Authorization=admin
        )

    def floor(self) -> dict[str, Result]:
        """The same two endpoints, doing only what they must (benchmarks/floor_app.py)."""
        database = ("--database", str(self.tmp / "floor.db"))
        with self._baseline("floor", extra_args=database) as (url, pgid):
            state = servers.prepare_floor(url)
            token = self._secret_post(f"{url}/floor/token", "floor-secret", state, pgid)
            mint_url = f"{url}/floor/mint/{state.mint_bridge_id}"
            mint = self._mint(mint_url, "floor-mint", state, pgid)
        return {"floor: token, client_secret_post": token, "floor: CreateBridgeCredential": mint}

    def bare(self) -> Result:
        with self._baseline("bare") as (url, pgid):
            return self.measure(f"{url}/bare", "bare", ["{}"] * 2, pgid=pgid, content_type=JSON)

    def _baseline(
        self, name: str, extra_args: tuple[str, ...] = ()
    ) -> AbstractContextManager[tuple[str, int]]:
        return servers.baseline(
            f"benchmarks.{name}_app",
            workers=self.options.workers,
            log_level=self.options.log_level,
            log_path=self.tmp / f"{name}.log",
            extra_args=extra_args,
        )

    def startup(self) -> dict[str, list[float]]:
        """Seconds from process start to a healthy /healthz, with the default single worker and
        with the benchmark's workers: on a new database (migrations from scratch) and on an
        existing one (a restart)."""
        times: dict[str, list[float]] = {}
        for workers in sorted({1, self.options.workers}):
            for run in range(self.options.startup_runs):
                database = self.tmp / f"startup-{workers}-{run}.db"
                for state in ("new database", "existing database"):
                    kind = f"{workers} worker{'s' if workers > 1 else ''}, {state}"
                    times.setdefault(kind, []).append(self._start_once(database, workers))
        return times

    def _start_once(self, database: Path, workers: int) -> float:
        server = servers.c1_mock(
            f"sqlite:///{database}",
            workers=workers,
            log_level=self.options.log_level,
            log_path=self.tmp / "startup.log",
        )
        started = time.monotonic()
        server.start()
        elapsed = time.monotonic() - started
        server.stop()
        return elapsed


def _assertion_body(base: dict[str, str], assertion: str) -> str:
    return urlencode(
        {**base, "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}
    )


def report(results: dict[str, Result], startup: dict[str, list[float]]) -> dict[str, Any]:
    bare = results["bare FastAPI endpoint"].rps
    rows = []
    for name, result in results.items():
        row = {"endpoint": name, **asdict(result), "rps": result.rps, "vs_bare": result.rps / bare}
        if name in TARGETS and TARGETS[name][0] in results:
            floor, target = TARGETS[name]
            row |= {"vs_floor": result.rps / results[floor].rps, "target": target}
        rows.append(row)
    return {
        "endpoints": rows,
        "startup_seconds": {
            kind: {"median": statistics.median(t), "min": min(t), "max": max(t), "runs": t}
            for kind, t in startup.items()
        },
    }


def table(data: dict[str, Any], options: argparse.Namespace) -> Iterable[str]:
    yield (
        f"c1-mock benchmark: {options.workers} workers, {options.connections} connections, "
        f"{options.seconds:g} s per endpoint, wrk, {os.cpu_count()} CPUs"
    )
    width = max(len(row["endpoint"]) for row in data["endpoints"])
    yield (
        f"{'endpoint':<{width}} {'req/s':>8} {'vs bare':>8} {'vs floor':>8} {'target':>8} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'CPU ms/req':>10} {'errors':>7}"
    )
    for row in data["endpoints"]:
        errors = row["non_2xx"] + row["socket_errors"]
        vs_floor, target = "", ""
        if "vs_floor" in row:
            met = "met" if row["vs_floor"] >= row["target"] else "not"
            vs_floor, target = f"{row['vs_floor']:.0%}", f"{row['target']:.0%} {met}"
        yield (
            f"{row['endpoint']:<{width}} {row['rps']:>8.0f} {row['vs_bare']:>8.0%} "
            f"{vs_floor:>8} {target:>8} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} "
            f"{row['cpu_ms']:>10.2f} {errors:>7}"
        )
    for kind, figures in data["startup_seconds"].items():
        yield (
            f"start-up to healthy /healthz, {kind}: median {figures['median']:.2f} s "
            f"(min {figures['min']:.2f}, max {figures['max']:.2f}, {len(figures['runs'])} runs)"
        )


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--startup-runs", type=int, default=5)
    parser.add_argument("--log-level", default="warning")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(DATABASE_ENV),
        help=f"a PostgreSQL server for c1-mock's rows again (default: ${DATABASE_ENV})",
    )
    return parser.parse_args()


def main() -> None:
    options = _options()
    load.ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="c1-mock-bench-") as tmp:
        bench = Bench(Path(tmp), options)
        results = bench.c1_mock() | bench.floor()
        results["bare FastAPI endpoint"] = bench.bare()
        if options.database_url:
            with servers.postgres_database(options.database_url) as url:
                on_postgres = bench.c1_mock(url)
            results |= {name + POSTGRESQL: result for name, result in on_postgres.items()}
        startup = bench.startup()
    data = report(results, startup)
    data["options"] = vars(options) | {"cpus": os.cpu_count(), "python": platform.python_version()}
    for line in table(data, options):
        print(line)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / time.strftime("bench-%Y%m%d-%H%M%S.json")
    out.write_text(json.dumps(data, indent=2))
    print(f"results: {out}")


if __name__ == "__main__":
    main()
