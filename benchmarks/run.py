"""`make bench`: c1-mock's token endpoint (client_secret_post and private_key_jwt) and
CreateBridgeCredential against two baselines, all served the same way and loaded by the same
generator with the same connections and durations, plus the start-up time to a healthy /healthz.
All the servers run at once and the rows are measured a second at a time, in turns, so that the
ratios between rows hold on a machine whose speed drifts. Prints a table and writes JSON under
benchmarks/results/.

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
from contextlib import AbstractContextManager, ExitStack
from dataclasses import asdict, dataclass, field
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
# How the table lists the rows.
ORDER = (
    "token, client_secret_post",
    "token, private_key_jwt",
    "CreateBridgeCredential",
    FLOOR_TOKEN,
    FLOOR_MINT,
    "bare FastAPI endpoint",
)

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
WARMUP_SECONDS = 1
# Single-use client assertions signed for the private_key_jwt row: more than any run here used.
ASSERTIONS = 40_000


@dataclass(frozen=True)
class Row:
    """One endpoint to load: its URL, the bodies to send in turn, and its server's process group
    (whose CPU time is the row's)."""

    name: str
    url: str
    bodies: list[str]
    pgid: int
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


class Bench:
    """One temp directory, one set of options. Every server is up at once, and the rows are
    measured in turns: each warmed up, then its timed seconds one at a time, one row after
    another, so that a machine whose speed drifts over a run (a shared one does) weighs on every
    row alike and the ratios between rows stay fair."""

    def __init__(self, tmp: Path, options: argparse.Namespace) -> None:
        self.tmp = tmp
        self.options = options

    def interleaved(self, rows: list[Row]) -> dict[str, Result]:
        slices: dict[str, list[tuple[Result, float]]] = {row.name: [] for row in rows}
        phases = [("warmup", WARMUP_SECONDS)]
        phases += [(f"second-{n}", 1) for n in range(self.options.seconds)]
        total = sum(length for _, length in phases)
        scripts = {row.name: self._script(row) for row in rows}
        taken = {row.name: 0 for row in rows}
        for phase, length in phases:
            for row in rows:
                # Bodies in proportion to the phase's length: single-use ones are never repeated.
                count = max(1, int(len(row.bodies) * length / total))
                part = row.bodies[taken[row.name] : taken[row.name] + count] or row.bodies[-1:]
                taken[row.name] += count
                path = self.tmp / f"{_file(row.name)}.{phase}.bodies"
                path.write_text("\n".join(part))
                cpu = load.group_cpu_seconds(row.pgid)
                result = load.run(
                    row.url,
                    lua=scripts[row.name],
                    bodies=path,
                    seconds=length,
                    connections=self.options.connections,
                )
                if phase != "warmup":
                    slices[row.name].append((result, load.group_cpu_seconds(row.pgid) - cpu))
        return {name: _combined(measured) for name, measured in slices.items()}

    def _script(self, row: Row) -> Path:
        path = self.tmp / f"{_file(row.name)}.lua"
        return load.script(path, content_type=row.content_type, headers=row.headers)

    def c1_mock_rows(
        self, url: str, pgid: int, state: servers.State, suffix: str = ""
    ) -> list[Row]:
        token_url = f"{url}/auth/v1/token"
        base = {"grant_type": "client_credentials", "client_id": state.client_id}
        signed = servers.assertions(state.client_id, state.client_secret, ASSERTIONS)
        mint_url = f"{url}/api/v1/iam/tunnel/bridges/{state.mint_bridge_id}/credentials"
        return [
            self._secret_row("token, client_secret_post" + suffix, token_url, state, pgid),
            Row(
                "token, private_key_jwt" + suffix,
                token_url,
                [_assertion_body(base, assertion) for assertion in signed],
                pgid,
                FORM,
            ),
            self._mint_row("CreateBridgeCredential" + suffix, mint_url, state, pgid),
        ]

    def _secret_row(self, name: str, url: str, state: servers.State, pgid: int) -> Row:
        form = {"grant_type": "client_credentials", "client_id": state.client_id}
        body = urlencode({**form, "client_secret": state.client_secret})
        return Row(name, url, [body] * 2, pgid, FORM)

    def _mint_row(self, name: str, url: str, state: servers.State, pgid: int) -> Row:
        headers = {"Authorization": f"Bearer {state.admin_token}"}
        return Row(name, url, ["{}"] * 2, pgid, JSON, headers)

    def sqlite_rows(self, stack: ExitStack) -> list[Row]:
        """c1-mock on a fresh SQLite file, the floor and the bare endpoint, all started: the rows
        in the order they are measured, each c1-mock row beside its floor row."""
        server = stack.enter_context(self._c1_mock(f"sqlite:///{self.tmp / 'bench.db'}"))
        assert server.proc is not None
        token, jwt, mint = self.c1_mock_rows(
            server.url, server.proc.pid, servers.prepare(server.url)
        )
        database = ("--database", str(self.tmp / "floor.db"))
        floor_url, floor_pgid = stack.enter_context(self._baseline("floor", database))
        floor_state = servers.prepare_floor(floor_url)
        floor_token = self._secret_row(
            FLOOR_TOKEN, f"{floor_url}/floor/token", floor_state, floor_pgid
        )
        mint_url = f"{floor_url}/floor/mint/{floor_state.mint_bridge_id}"
        floor_mint = self._mint_row(FLOOR_MINT, mint_url, floor_state, floor_pgid)
        bare_url, bare_pgid = stack.enter_context(self._baseline("bare"))
        bare = Row("bare FastAPI endpoint", f"{bare_url}/bare", ["{}"] * 2, bare_pgid, JSON)
        return [token, floor_token, jwt, mint, floor_mint, bare]

    def postgres(self, server_url: str) -> dict[str, Result]:
        """c1-mock's rows on a database made for the run on the PostgreSQL server."""
        with servers.postgres_database(server_url) as url, self._c1_mock(url) as server:
            assert server.proc is not None
            state = servers.prepare(server.url)
            rows = self.c1_mock_rows(server.url, server.proc.pid, state, POSTGRESQL)
            return self.interleaved(rows)

    def _c1_mock(self, database_url: str) -> servers.ServerProcess:
        return servers.c1_mock(
            database_url,
            workers=self.options.workers,
            log_level=self.options.log_level,
            log_path=self.tmp / "c1-mock.log",
        )

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


def _file(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name)


def _combined(measured: list[tuple[Result, float]]) -> Result:
    """A row's slices as one result: requests, time and errors added up, CPU per request over
    them all, and the median of the slices' latency percentiles."""
    results = [result for result, _ in measured]
    requests = sum(result.requests for result in results)
    return Result(
        requests=requests,
        seconds=sum(result.seconds for result in results),
        non_2xx=sum(result.non_2xx for result in results),
        socket_errors=sum(result.socket_errors for result in results),
        p50_ms=statistics.median(result.p50_ms for result in results),
        p99_ms=statistics.median(result.p99_ms for result in results),
        cpu_ms=sum(cpu for _, cpu in measured) * 1000 / max(1, requests),
    )


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
        with ExitStack() as stack:
            measured = bench.interleaved(bench.sqlite_rows(stack))
        results = {name: measured[name] for name in ORDER}
        if options.database_url:
            results |= bench.postgres(options.database_url)
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
