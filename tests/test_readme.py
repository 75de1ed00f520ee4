"""The README's shell commands, as a reader runs them after the two set-up commands (`make serve`,
`make test`): each starts with a make target, a program of the set-up's virtual environment
(`.venv/bin/...`) or a tool the reader brings (curl, docker, cone, ...); its c1-mock commands and
`make serve` run; and its curl commands work, as written, against a real server."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from c1_mock.testing.client import C1Mock
from c1_mock.testing.process import ServerProcess, free_port, wait_healthy
from tests.helpers import ADMIN_ID, ADMIN_SECRET, TENANT

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
# Programs the reader brings, beside make and the set-up's .venv/bin/.
OUTSIDE = {"curl", "export", "cp", "docker", "cone", "baton-<connector>", "terraform", "security"}


def shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, re.S)


def commands(block: str) -> list[list[str]]:
    """The block's commands as words: continuation lines and quoted line breaks joined, comments
    dropped."""
    found, pending = [], ""
    for line in block.replace("\\\n", " ").splitlines():
        pending += line + "\n"
        try:
            words = shlex.split(pending, comments=True)
        except ValueError:  # a quotation goes on to the next line
            continue
        pending = ""
        if words:
            found.append(words)
    return found


def program(words: list[str]) -> str:
    """What a command runs: its first word that is not a VAR=value assignment."""
    return next((word for word in words if not re.fullmatch(r"\w+=.*", word)), "")


def test_every_shell_command_runs_from_the_set_up_as_written() -> None:
    seen = set()
    for block in shell_blocks():
        for words in commands(block):
            name = program(words)
            seen.add(name)
            allowed = name in OUTSIDE or name in ("make", "") or name.startswith(".venv/bin/")
            assert allowed, f"README: {shlex.join(words)} (use make, .venv/bin/... or say why)"
    assert {"make", ".venv/bin/c1-mock", "curl"} <= seen


def test_the_readme_never_tells_to_install_from_an_index() -> None:
    assert "pip install c1-mock" not in README
    assert "make dist" in README


@pytest.fixture
def reader(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The reader's shell: a directory whose .venv is the set-up's, and no C1MOCK_ settings
    but a database of its own."""
    os.symlink(sys.prefix, tmp_path / ".venv")
    env = {k: v for k, v in os.environ.items() if not k.startswith("C1MOCK_")}
    env["C1MOCK_DATABASE_URL"] = f"sqlite:///{tmp_path / 'c1-mock.db'}"
    yield env


def _on_a_free_port(words: list[str], port: int) -> str:
    return re.sub(r"\b(8080|8443|9000)\b", str(port), shlex.join(words))


@pytest.mark.process
def test_the_c1_mock_commands_run(tmp_path: Path, reader: dict[str, str]) -> None:
    found = [w for b in shell_blocks() for w in commands(b) if program(w) == ".venv/bin/c1-mock"]
    server = ServerProcess(reader, log_path=tmp_path / "server.log").start()
    try:
        for words in found:
            if "serve" in words:
                _serves(_on_a_free_port(words, free_port()), tmp_path, reader)
                continue
            line = _on_a_free_port(words, server.port)  # the commands that ask "the server"
            env = {**reader, "C1MOCK_PORT": str(server.port)}
            done = subprocess.run(
                line, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
            )
            assert done.returncode == 0, f"{line}: {done.stdout}{done.stderr}"
    finally:
        server.stop()
    assert len(found) >= 6


def _serves(line: str, cwd: Path, env: dict[str, str]) -> None:
    """A serve command of the README: it becomes healthy."""
    port = int(re.search(r"--port (\d+)", line).group(1))  # type: ignore[union-attr]
    scheme = "https" if "--tls" in line else "http"
    proc = subprocess.Popen(
        line, shell=True, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_healthy(f"{scheme}://127.0.0.1:{port}", proc, verify=False)
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.mark.process
def test_make_serve_serves(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("C1MOCK_")}
    env["C1MOCK_DATABASE_URL"] = f"sqlite:///{tmp_path / 'c1-mock.db'}"
    # -o: this run never reinstalls the virtual environment the suite itself runs in.
    command = ["make", "-s", "-o", ".venv/.serve-stamp", "serve", f"ARGS=--port {port}"]
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc)
    finally:
        proc.terminate()
        proc.wait(30)
    assert (tmp_path / "c1-mock.db").exists()


def curl_blocks() -> list[str]:
    """The blocks of curl commands (and the variables they set)."""
    return [
        block
        for block in shell_blocks()
        if "curl" in block and {program(w) for w in commands(block)} <= {"curl", "export", ""}
    ]


@pytest.mark.process
@pytest.mark.skipif(shutil.which("curl") is None, reason="the README's examples need curl")
def test_the_curl_commands_work_against_a_server(tmp_path: Path, reader: dict[str, str]) -> None:
    shutil.copyfile(ROOT / "seed" / "example.yaml", tmp_path / "seed.yaml")
    settings = {"C1MOCK_ADMIN_CLIENT_ID": ADMIN_ID, "C1MOCK_ADMIN_CLIENT_SECRET": ADMIN_SECRET}
    settings["C1MOCK_TENANT_DOMAIN"] = TENANT
    server = ServerProcess({**reader, **settings}, log_path=tmp_path / "server.log").start()
    try:
        with httpx.Client(base_url=server.url) as client:
            mock = C1Mock(client, admin_client_id=ADMIN_ID, admin_client_secret=ADMIN_SECRET)
            for block in curl_blocks():
                mock.reset()
                _run_curls(block, server, mock, tmp_path, reader)
    finally:
        server.stop()
    assert len(curl_blocks()) >= 6


def _run_curls(
    block: str, server: ServerProcess, mock: C1Mock, cwd: Path, env: dict[str, str]
) -> None:
    """One block in bash, with curl failing on an error status."""
    credential = mock.mint(mock.create_bridge("readme")["id"])
    variables = {
        "M": f"{server.url}/_mock",
        "ADMIN_ID": ADMIN_ID,
        "ADMIN_SECRET": ADMIN_SECRET,
        "CLIENT_ID": credential["clientId"],
        "CLIENT_SECRET": credential["clientSecret"],
        "BRIDGE_ID": credential["bridgeId"],
    }
    script = block.replace("127.0.0.1:8080", f"127.0.0.1:{server.port}")
    script = script.replace("curl -s ", "curl -sSf ")
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env={**env, **variables},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"{block}\n{done.stdout}{done.stderr}"
