"""`make reliability`: the reliability scenarios of tests/reliability/scenarios.py at full size,
on SQLite (one server, several workers) and PostgreSQL (two servers on one database), and the
timing of the token endpoint for an unknown client, a wrong secret and the right secret. Prints
the figures and rewrites the README section "Reliability" between its markers.

Options: --rounds (20), --sizes (2,8,32,128), --workers (4), --skip-postgresql.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from tests.helpers import secret_form
from tests.reliability import scenarios
from tests.reliability.scenarios import Sandbox

README = Path(__file__).resolve().parent.parent / "README.md"
TEMPLATE = Path(__file__).with_suffix(".md")
START, END = "<!-- reliability:start -->", "<!-- reliability:end -->"


def rotation_rows(box: Sandbox, sizes: list[int], rounds: int, label: str) -> list[str]:
    rows = []
    for n in sizes:
        r = scenarios.rotation(box, calls=n, rounds=rounds)
        rows.append(_row(label, f"1 bridge x {n}", r))
    r = scenarios.rotation(box, calls=8, rounds=rounds, bridges=8)
    rows.append(_row(label, "8 bridges x 8", r))
    return rows


def _row(label: str, shape: str, r: scenarios.RotationResult) -> str:
    ok = "yes" if not r.violations else f"NO: {r.violations[:3]}"
    return (
        f"| {label} | {shape} | {r.calls} | {r.statuses.get(200, 0)} | {r.errors_5xx} | "
        f"{r.locked} | {r.p50_ms:.0f} | {r.p99_ms:.0f} | {ok} |"
    )


def timing_rows(workdir: Path, samples: int = 300) -> list[str]:
    """Unknown client, wrong secret, right secret: median and p90 of the token endpoint, with the
    guard out of the way (a huge max_failed_auths) so that every attempt is verified."""
    env = {"C1MOCK_MAX_FAILED_AUTHS": "100000000"}
    workdir.mkdir(exist_ok=True)
    with scenarios.sandbox("sqlite", workdir, workers=1, env=env) as box:
        minted = scenarios.mint_call(box, scenarios.new_bridge(box))().body["credential"]
        wrong = scenarios.new_secret()
        cases = {
            "unknown client": secret_form("nobody-here-00000@acme.conductor.one/tcc", wrong),
            "wrong secret": secret_form(minted["clientId"], wrong),
            "right secret": secret_form(minted["clientId"], minted["clientSecret"]),
        }
        times: dict[str, list[float]] = {k: [] for k in cases}
        with httpx.Client(base_url=box.url(), timeout=30) as api:
            for _ in range(samples):  # interleaved, so drift hits all three alike
                for name, form in cases.items():
                    started = time.perf_counter()
                    api.post("/auth/v1/token", data=form)
                    times[name].append((time.perf_counter() - started) * 1000)
    rows = []
    for name, values in times.items():
        q = statistics.quantiles(values, n=10)
        rows.append(f"| {name} | {samples} | {statistics.median(values):.2f} | {q[8]:.2f} |")
    return rows


def run(args: argparse.Namespace) -> str:
    sizes = [int(n) for n in args.sizes.split(",")]
    backends = ["sqlite"] if args.skip_postgresql else ["sqlite", "postgresql"]
    rotation, other = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            servers = 2 if backend == "postgresql" else 1
            label = (
                f"PostgreSQL, 2 servers x {args.workers} workers"
                if servers == 2
                else (f"SQLite, 1 server x {args.workers} workers")
            )
            workdir = Path(tmp) / backend
            workdir.mkdir()
            with scenarios.sandbox(backend, workdir, workers=args.workers, servers=servers) as box:
                rotation += rotation_rows(box, sizes, args.rounds, label)
                rep = scenarios.replay(box, copies=50)
                lock = scenarios.lock_contention(box, hold=2.0)
            crash = scenarios.crash(backend, workdir, bridges=4, threads=16, load_seconds=3.0)
            other.append(
                f"| {label} | {dict(rep.statuses)} | {lock.status} after {lock.waited:.2f} s"
                f"{' (Retry-After ' + lock.retry_after + ')' if lock.retry_after else ''} | "
                f"{crash.answered} answered, integrity {crash.integrity}, "
                f"{crash.violations or 'all present, <= 1 ACTIVE per bridge, old token verifies'} |"
            )
        timing = timing_rows(Path(tmp) / "timing")
    return section(args, rotation, other, timing)


def section(
    args: argparse.Namespace, rotation: list[str], other: list[str], timing: list[str]
) -> str:
    """The README section: benchmarks/reliability.md with the figures filled in."""
    text = TEMPLATE.read_text().format(
        date=time.strftime("%Y-%m-%d"),
        rounds=args.rounds,
        rotation="\n".join(rotation),
        other="\n".join(other),
        timing="\n".join(timing),
    )
    return f"{START}\n\n{text}\n{END}"


def write_readme(text: str) -> None:
    readme = README.read_text()
    if START in readme and END in readme:
        head, rest = readme.split(START, 1)
        readme = head + text + rest.split(END, 1)[1]
    else:
        readme = readme.replace("## Reliability\n", f"## Reliability\n\n{text}\n", 1)
    README.write_text(readme)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--sizes", default="2,8,32,128")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--skip-postgresql", action="store_true")
    args = parser.parse_args()
    text = run(args)
    print(text)
    write_readme(text)


if __name__ == "__main__":
    main()
