"""Schemathesis (every check it has, at least 200 examples per operation, all phases) against
openapi.yaml and a real `c1-mock serve`: 0 failures.

Two runs, each with its own server: the C1 API (authenticated as the admin client) without the
control plane, and the control plane (tag Mock) alone. The control plane's operations reset the
database, move the clock and inject faults (including 5xx answers) by design, which would make
every check of the C1 API meaningless if both were fuzzed against one server.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from c1_mock.testing.process import ServerProcess
from tests.helpers import ADMIN_ID, TENANT, secret_form
from tests.reliability.scenarios import ADMIN_SECRET

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = int(os.environ.get("C1MOCK_FUZZ_EXAMPLES", "200"))


def _serve_env(tmp_path: Path) -> dict[str, str]:
    return {
        "C1MOCK_DATABASE_URL": f"sqlite:///{tmp_path / 'fuzz.db'}",
        "C1MOCK_TENANT_DOMAIN": TENANT,
        "C1MOCK_ADMIN_CLIENT_ID": ADMIN_ID,
        "C1MOCK_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
        "C1MOCK_LOG_LEVEL": "warning",
    }


def _schemathesis(url: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    st = [str(Path(sys.executable).parent / "st"), "--config-file", str(CONFIG)]
    command = [*st, "run", str(ROOT / "openapi.yaml")]
    options = ["--url", url, "--checks", "all", "--max-examples", str(EXAMPLES)]
    # One worker: with threads, Hypothesis parses lambda sources concurrently and CPython 3.11's
    # ast.parse is not thread-safe ("AST constructor recursion depth mismatch", seen in CI).
    fixed = ["--seed", "20261127", "--workers", "1", "--no-color"]
    return subprocess.run(
        [*command, *options, *args, *fixed],
        cwd=cwd,  # its .schemathesis cache stays out of the repository
        env={
            **os.environ,
            "SCHEMATHESIS_HOOKS": "tests.contract.schemathesis_hooks",
            "PYTHONPATH": str(ROOT),
        },
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.process
def test_schemathesis_finds_no_failure_with_every_check(tmp_path: Path) -> None:
    with ServerProcess(_serve_env(tmp_path), log_path=tmp_path / "serve.log") as server:
        answer = httpx.post(f"{server.url}/auth/v1/token", data=secret_form(ADMIN_ID, ADMIN_SECRET))
        token = answer.json()["access_token"]
        auth = ["--header", f"Authorization: Bearer {token}", "--exclude-tag", "Mock"]
        run = _schemathesis(server.url, auth, tmp_path)
        assert run.returncode == 0, (run.stdout + run.stderr).replace(token, "[token]")
        assert " 500 " not in server.output()


@pytest.mark.process
def test_schemathesis_finds_no_failure_in_the_control_plane_with_every_check(
    tmp_path: Path,
) -> None:
    with ServerProcess(_serve_env(tmp_path), log_path=tmp_path / "serve.log") as server:
        run = _schemathesis(server.url, ["--include-tag", "Mock"], tmp_path)
        assert run.returncode == 0, run.stdout + run.stderr
        assert " 500 " not in server.output()
