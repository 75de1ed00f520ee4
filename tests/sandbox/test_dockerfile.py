"""The Dockerfile: hadolint-clean, and what it promises (slim base, non-root, data on a volume,
a health check that needs no curl), checked without a Docker engine: its build context installs
the project, and its command and health check work when run outside the image."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from fnmatch import fnmatch
from pathlib import Path

import httpx
import pytest

from app.testing import ServerProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    pairs = [line.split(None, 1) for line in lines if line and not line.startswith("#")]
    return [(pair[0].upper(), pair[1] if len(pair) > 1 else "") for pair in pairs]


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (name, _) in enumerate(steps) if name == "FROM")
    return steps[last_from:]


def one(name: str) -> str:
    found = [args for instruction, args in final_stage() if instruction == name]
    assert len(found) == 1, (name, found)
    return found[0]


def image_env() -> dict[str, str]:
    pairs = re.findall(r'(\w+)=("[^"]*"|\S+)', " ".join(a for n, a in final_stage() if n == "ENV"))
    return {key: value.strip('"') for key, value in pairs}


def test_dockerfile_is_hadolint_clean() -> None:
    done = subprocess.run(
        [str(BIN / "hadolint"), "--failure-threshold", "info", str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_image_runs_slim_as_a_non_root_user_with_its_data_on_a_volume() -> None:
    bases = [args for name, args in instructions() if name == "FROM"]
    assert all(re.fullmatch(r"python:3\.\d+-slim( AS \w+)?", base) for base in bases), bases
    user = one("USER").split(":")[0]
    assert user.isdigit() and int(user) > 0
    assert json.loads(one("VOLUME")) == ["/data"]
    assert image_env()["C1MOCK_DATABASE_URL"] == "sqlite:////data/c1-mock.db"
    assert "8080" in one("EXPOSE").split()
    assert json.loads(one("ENTRYPOINT")) + json.loads(one("CMD")) == [
        "c1-mock",
        "serve",
        "--host",
        "0.0.0.0",
    ]
    assert one("HEALTHCHECK").endswith('CMD ["c1-mock", "healthcheck"]')


def build_context(into: Path) -> Path:
    """The files `docker build .` would send, by .dockerignore (ignore all, then allow)."""
    rules = [r for r in (ROOT / ".dockerignore").read_text().splitlines() if r and r[0] != "#"]
    for path in ROOT.rglob("*"):
        relative = path.relative_to(ROOT).as_posix()
        kept = False
        for rule in rules:
            pattern = rule.lstrip("!").rstrip("/")
            if any(fnmatch(relative, p) for p in (pattern, f"{pattern}/*", f"*/{pattern}")):
                kept = rule.startswith("!")
        if kept and path.is_file():
            (into / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, into / relative)
    return into


def test_build_context_installs_the_server_with_its_migrations(tmp_path: Path) -> None:
    context = build_context(tmp_path / "context")
    for name, args in instructions():
        if name == "COPY" and "--from" not in args:
            for source in args.split()[:-1]:
                assert (context / source).exists(), source
    subprocess.run(
        [str(BIN / "pip"), "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", "out", "."],
        cwd=context,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (context / "out").glob("c1_mock-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "app/cli.py" in names and "app/tls.py" in names
    assert "migrations/env.py" in names
    assert "c1_mock_pytest/__init__.py" in names
    assert any(re.fullmatch(r"migrations/versions/.+_initial_schema\.py", n) for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "c1-mock = app.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


@pytest.mark.process
def test_image_command_and_health_check_work_outside_the_image(tmp_path: Path) -> None:
    env = {k: v.replace("/data", str(tmp_path)) for k, v in image_env().items() if "C1MOCK" in k}
    command = json.loads(one("CMD"))
    assert command[0] == "serve"
    health = json.loads(one("HEALTHCHECK").split("CMD", 1)[1])
    server = ServerProcess(env, log_path=tmp_path / "serve.log", args=command[1:])
    # The image puts its virtualenv on PATH; so does this run, for `c1-mock`.
    path = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    probe_env = {**os.environ, **env, "PATH": path, "C1MOCK_PORT": str(server.port)}
    with server:
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        up = subprocess.run(health, env=probe_env, capture_output=True, timeout=30)
    assert (tmp_path / "c1-mock.db").exists()
    down = {**probe_env, "C1MOCK_PORT": str(free_port())}
    assert up.returncode == 0
    assert subprocess.run(health, env=down, capture_output=True, timeout=30).returncode == 1
