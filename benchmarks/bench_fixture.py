"""What the pytest fixtures add to each test: `python -m benchmarks.bench_fixture [--tests N]`.

Runs a pytest session of N empty tests that take `c1_mock` (and `c1_mock_server`), and one of N
empty tests that take nothing, and compares each test's setup + call + teardown time. The first
test of a session, which starts the server, is reported apart. The target for `c1_mock` is under
5 ms per test (issue 3).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

import pytest

TARGET_MS = 5.0


class _Timings:
    """A pytest plugin that adds up each test's phases."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.ms[report.nodeid] = self.ms.get(report.nodeid, 0.0) + report.duration * 1000


def _session(root: Path, fixture: str, count: int) -> list[float]:
    """Per-test milliseconds of a session of `count` empty tests taking `fixture`."""
    name = fixture or "nothing"
    arg = fixture
    body = "".join(f"def test_{i}({arg}):\n    pass\n\n" for i in range(count))
    path = root / f"test_{name}.py"
    path.write_text(body)
    timings = _Timings()
    code = pytest.main(
        [str(path), "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "--no-header"],
        plugins=[timings],
    )
    if code != 0:
        raise SystemExit(f"the {name} session failed ({code})")
    return [timings.ms[f"{path.name}::test_{i}"] for i in range(count)]


def _summary(per_test: list[float], baseline: float) -> dict[str, float]:
    rest = sorted(per_test[1:])
    return {
        "first_test_ms": round(per_test[0], 1),
        "median_added_ms": round(statistics.median(rest) - baseline, 2),
        "p95_added_ms": round(rest[int(len(rest) * 0.95)] - baseline, 2),
    }


def measure(count: int, *, server: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        baseline = statistics.median(_session(root, "", count))
        out: dict[str, Any] = {"tests": count, "empty_test_ms": round(baseline, 3)}
        out["c1_mock"] = _summary(_session(root, "c1_mock", count), baseline)
        if server:
            out["c1_mock_server"] = _summary(_session(root, "c1_mock_server", count), baseline)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tests", type=int, default=300)
    parser.add_argument("--no-server", action="store_true", help="skip c1_mock_server")
    args = parser.parse_args()
    result = measure(args.tests, server=not args.no_server)
    print(json.dumps(result, indent=2))
    added = result["c1_mock"]["median_added_ms"]
    verdict = "under" if added < TARGET_MS else "OVER"
    print(f"c1_mock adds {added} ms per test (median): {verdict} the {TARGET_MS} ms target")


if __name__ == "__main__":
    main()
