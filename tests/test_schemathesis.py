"""Schemathesis (every check it has, at least 200 examples per operation, all phases) against
openapi.yaml and a real `c1-mock serve`, authenticated as the admin client: 0 failures.

The control plane (tag Mock) is left out: its operations reset the database, move the clock and
inject faults (including 5xx answers) by design, which would make every other check meaningless.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app.testing import ServerProcess
from tests.c1 import ADMIN_ID, TENANT, secret_form
from tests.reliability.scenarios import ADMIN_SECRET

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("C1MOCK_FUZZ_EXAMPLES", "200"))


@pytest.mark.process
def test_schemathesis_finds_no_failure_with_every_check(tmp_path: Path) -> None:
    env = {
        "C1MOCK_DATABASE_URL": f"sqlite:///{tmp_path / 'fuzz.db'}",
        "C1MOCK_TENANT_DOMAIN": TENANT,
        "C1MOCK_ADMIN_CLIENT_ID": ADMIN_ID,
        "C1MOCK_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
        "C1MOCK_LOG_LEVEL": "warning",
    }
    with ServerProcess(env, log_path=tmp_path / "serve.log") as server:
        answer = httpx.post(f"{server.url}/auth/v1/token", data=secret_form(ADMIN_ID, ADMIN_SECRET))
        token = answer.json()["access_token"]
        run = subprocess.run(
            [
                str(Path(sys.executable).parent / "st"),
                "run",
                str(ROOT / "openapi.yaml"),
                "--url",
                server.url,
                "--header",
                f"Authorization: Bearer {token}",
                "--checks",
                "all",
                "--max-examples",
                str(EXAMPLES),
                "--exclude-tag",
                "Mock",
                "--seed",
                "20261127",
                # One worker: with threads, Hypothesis parses lambda sources concurrently and
                # CPython 3.11's ast.parse is not thread-safe ("AST constructor recursion depth
                # mismatch", seen in CI).
                "--workers",
                "1",
                "--no-color",
            ],
            cwd=tmp_path,  # its .schemathesis cache stays out of the repository
            env={
                **os.environ,
                "SCHEMATHESIS_HOOKS": "tests.schemathesis_hooks",
                "PYTHONPATH": str(ROOT),
            },
            capture_output=True,
            text=True,
            timeout=900,
        )
        output = run.stdout + run.stderr
        assert run.returncode == 0, output.replace(token, "[token]")
        assert " 500 " not in server.output()
