"""How c1-mock is packaged and shipped, tried as its users get it: `make dist`'s sdist and wheel
(built from exactly what the Dockerfile's build context holds) pass twine; the wheel installs one
import package, `c1_mock`, and nothing named like a project's own packages; installed into a new
virtual environment (the wheel, and the sdist), it migrates, serves its contract, runs the image's
command and health check, names the extra a setting needs when the environment lacks it, and its
pytest fixtures work in a project that has its own `app` and `migrations`. And the Dockerfile:
hadolint-clean, with what it promises (slim base, non-root, data on a volume, a health check that
needs no curl). No Docker engine runs here."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from fnmatch import fnmatch
from pathlib import Path
from subprocess import DEVNULL, Popen

import httpx
import pytest

from c1_mock.testing.process import free_port, wait_healthy

# The wheel and its virtual environment are made once, on one xdist worker (make test's
# --dist loadgroup), for every test here.
pytestmark = pytest.mark.xdist_group("packaging")
ROOT = Path(__file__).resolve().parents[1]
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


# --- the wheel, from the image's build context ---------------------------------------------------


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


BUILD = [sys.executable, "-m", "build", "--no-isolation", "--outdir"]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What `make dist` makes (python -m build: an sdist, then a wheel built from the sdist), from
    the files of the image's build context, offline (no build isolation)."""
    context = build_context(tmp_path_factory.mktemp("context"))
    for name, args in instructions():
        if name == "COPY" and "--from" not in args:
            for source in args.split()[:-1]:
                assert (context / source).exists(), source
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([*BUILD, str(out), str(context)], check=True, capture_output=True, timeout=300)
    return out


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    (built,) = dist.glob("c1_mock-*.whl")
    return built


@pytest.fixture(scope="module")
def sdist(dist: Path) -> Path:
    (built,) = dist.glob("c1_mock-*.tar.gz")
    return built


def _new_venv(root: Path, *packages: str) -> Path:
    """A new virtual environment with `packages` installed from the package index, as a user
    installs them; its bin/ directory."""
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=120)
    subprocess.run(
        [str(root / "bin" / "pip"), "install", "-q", *packages],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return root / "bin"


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, without extras, and pytest (for a project's tests) in a new environment."""
    return _new_venv(tmp_path_factory.mktemp("venv"), str(wheel), "pytest")


@pytest.fixture(scope="module")
def sdist_venv(sdist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist, built and installed by pip in a new environment."""
    return _new_venv(tmp_path_factory.mktemp("sdist-venv"), str(sdist))


def test_twine_passes_the_wheel_and_the_sdist(wheel: Path, sdist: Path) -> None:
    done = subprocess.run(
        [str(BIN / "twine"), "check", "--strict", str(wheel), str(sdist)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASSED") == 2


def test_the_wheel_installs_one_import_package_and_every_file_of_the_repository(
    wheel: Path,
) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/", 1)[0] for name in names if ".dist-info/" not in name}
    assert tops == {"c1_mock"}
    # Every file of app/: its modules, and the dashboard's page, stylesheet and script.
    shipped = [p for p in (ROOT / "app").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert {"index.html", "ui.css", "ui.js"} <= {p.name for p in shipped}
    expected = {f"c1_mock/{p.relative_to(ROOT / 'app')}" for p in shipped}
    migrations = ROOT / "migrations"
    expected |= {
        f"c1_mock/migrations/{p.relative_to(migrations)}"
        for p in [*migrations.rglob("*.py"), migrations / "script.py.mako"]
    }
    missing = expected - set(names)
    assert missing == set(), "not in the wheel: list its package or data in pyproject.toml"
    contract = zipfile.ZipFile(wheel).read("c1_mock/openapi.yaml")
    assert contract == (ROOT / "openapi.yaml").read_bytes()  # the one copy, shipped
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "c1-mock = c1_mock.cli:main" in text
    assert "c1_mock = c1_mock.testing.plugin" in text


OWN_APP = """
from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
def hello() -> dict[str, str]:
    return {"from": "the project's own app"}
"""

OWN_TEST = """
from fastapi.testclient import TestClient

import migrations
from app.main import app


def test_own_packages_beside_both_fixtures(c1_mock, c1_mock_server):
    assert TestClient(app).get("/hello").json() == {"from": "the project's own app"}
    assert migrations.OWN == "the project's own migrations"
    for mock in (c1_mock, c1_mock_server):
        credential = mock.mint(mock.create_bridge("office")["id"])
        assert mock.token_for(credential["clientId"], credential["clientSecret"])
"""


def test_a_project_with_its_own_app_and_migrations_uses_both_fixtures(
    venv: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "app" / "__init__.py").write_text("")
    (project / "app" / "main.py").write_text(OWN_APP)
    (project / "migrations").mkdir()
    (project / "migrations" / "__init__.py").write_text('OWN = "the project\'s own migrations"\n')
    (project / "tests").mkdir()
    (project / "tests" / "test_mine.py").write_text(OWN_TEST)

    done = subprocess.run(
        [str(venv / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=project,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without this suite's settings (C1MOCK_*) or virtual environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("C1MOCK_", "VIRTUAL_ENV"))}
    return {**env, **extra}


@pytest.mark.parametrize("installed", ["venv", "sdist_venv"])
def test_the_installed_command_migrates_and_serves_the_contract(
    installed: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    venv: Path = request.getfixturevalue(installed)
    database = f"sqlite:///{tmp_path / 'installed.db'}"
    upgrade = subprocess.run(
        [str(venv / "c1-mock"), "db", "upgrade", "--database-url", database],
        cwd=tmp_path,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert upgrade.returncode == 0, upgrade.stderr
    port = free_port()
    command = [str(venv / "c1-mock"), "serve", "--port", str(port), "--database-url", database]
    with _running(command, cwd=tmp_path, env=_clean_env()) as proc:
        wait_healthy(f"http://127.0.0.1:{port}", proc)
        # The dashboard's files are read from the installed package.
        for path in ("/_mock/ui", "/_mock/ui/ui.js", "/_mock/ui/ui.css"):
            assert httpx.get(f"http://127.0.0.1:{port}{path}").status_code == 200, path
        served = httpx.get(f"http://127.0.0.1:{port}/_mock/openapi.yaml")
    assert served.content == (ROOT / "openapi.yaml").read_bytes()


@pytest.mark.parametrize(
    ("setting", "value", "extra"),
    [
        ("C1MOCK_DATABASE_URL", "postgresql://c1:pw-4711@127.0.0.1/c1", "postgres"),
        ("C1MOCK_SECRET_HASH_SCHEME", "bcrypt", "bcrypt"),
        ("C1MOCK_SECRET_HASH_SCHEME", "argon2", "argon2"),
    ],
)
def test_a_setting_that_needs_a_missing_extra_names_it_in_one_line(
    venv: Path, tmp_path: Path, setting: str, value: str, extra: str
) -> None:
    done = subprocess.run(
        [str(venv / "python"), "-m", "c1_mock.cli", "serve", "--port", "0"],
        cwd=tmp_path,
        env=_clean_env(**{setting: value}),
        capture_output=True,
        text=True,
        timeout=60,
    )

    line = done.stderr.strip()
    assert done.returncode == 2 and "\n" not in line and "Traceback" not in line, done.stderr
    assert line.startswith(f"c1-mock: {setting}"), line
    assert f"pip install 'c1-mock[{extra}]'" in line
    assert "pw-4711" not in line
    assert not (tmp_path / "c1-mock.db").exists()


def test_the_images_command_and_health_check_work_from_the_installed_wheel(
    venv: Path, tmp_path: Path
) -> None:
    env = {k: v.replace("/data", str(tmp_path)) for k, v in image_env().items() if "C1MOCK" in k}
    port = free_port()
    # The image puts its virtual environment first on PATH, and runs `c1-mock` from there.
    image = _clean_env(**env, PATH=f"{venv}{os.pathsep}{os.environ.get('PATH', '')}")
    up, down = {**image, "C1MOCK_PORT": str(port)}, {**image, "C1MOCK_PORT": str(free_port())}
    command = json.loads(one("ENTRYPOINT")) + json.loads(one("CMD"))  # found on the image's PATH
    health = json.loads(one("HEALTHCHECK").split("CMD", 1)[1])
    with _running(command, cwd=tmp_path, env=up) as proc:
        wait_healthy(f"http://127.0.0.1:{port}", proc)
        healthy = subprocess.run(health, env=up, capture_output=True, timeout=30)
    assert (tmp_path / "c1-mock.db").exists()
    assert healthy.returncode == 0
    assert subprocess.run(health, env=down, capture_output=True, timeout=30).returncode == 1


@contextmanager
def _running(command: list[str], *, cwd: Path, env: dict[str, str]) -> Iterator[Popen[bytes]]:
    """A process, stopped (SIGTERM) when the block ends."""
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=DEVNULL, stderr=DEVNULL)
    try:
        yield proc
    finally:
        proc.terminate()
        proc.wait(30)
