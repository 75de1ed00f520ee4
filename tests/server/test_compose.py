"""docker-compose.yml and .env.example: valid by the compose specification's schema, and the
sandbox they promise (SQLite on a named volume, a postgres profile, TLS on a second port,
credentials only from .env). No Docker engine runs here, so the file is checked, not run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from c1_mock.config import Settings
from c1_mock.server.healthcheck import url

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_LINE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())  # resolves the << merges
    return document


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def example_env(*, commented: bool) -> dict[str, str]:
    """.env.example's variables: the ones set, or also the ones shown commented out."""
    out: dict[str, str] = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = ENV_LINE.match(line.strip())
        if match and (commented or not line.startswith("#")):
            out[match[1]] = match[2]
    return out


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${NAME:-default}."""
    return re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: env.get(m[1]) or m[2], value)


def test_compose_file_is_valid_by_the_compose_specification_schema() -> None:
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            str(COMPOSE),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_server_runs_on_sqlite_on_a_named_volume_with_a_health_check(
    compose: dict[str, Any],
) -> None:
    server = services(compose)["c1-mock"]
    assert "profiles" not in server  # starts with a plain `docker compose up`
    assert "c1-mock-data:/data" in server["volumes"] and "c1-mock-data" in compose["volumes"]
    database = interpolate(server["environment"]["C1MOCK_DATABASE_URL"], {})
    assert database == "sqlite:////data/c1-mock.db"
    assert server["healthcheck"]["test"] == ["CMD", "c1-mock", "healthcheck"]
    assert server["ports"] == ["127.0.0.1:8080:8080"]


def test_postgres_profile_points_the_server_at_postgres_once_healthy(
    compose: dict[str, Any],
) -> None:
    postgres, server = services(compose)["postgres"], services(compose)["c1-mock"]
    assert postgres["profiles"] == ["postgres"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    # required: false lets the server start without the profile, and wait for it with it.
    assert server["depends_on"]["postgres"] == {"condition": "service_healthy", "required": False}
    env = example_env(commented=True)
    assert env["COMPOSE_PROFILES"] == "postgres"
    database = make_url(interpolate(server["environment"]["C1MOCK_DATABASE_URL"], env))
    assert (database.host, database.port) == ("postgres", 5432)
    assert database.username == postgres["environment"]["POSTGRES_USER"]
    assert database.password == interpolate(postgres["environment"]["POSTGRES_PASSWORD"], env)
    assert database.database == postgres["environment"]["POSTGRES_DB"]


def test_tls_profile_serves_https_on_a_second_port_with_self_routing_ids(
    compose: dict[str, Any],
) -> None:
    tls_server = services(compose)["c1-mock-tls"]
    assert tls_server["profiles"] == ["tls"]
    assert tls_server["ports"] == ["127.0.0.1:8443:8443"]
    assert "c1-mock-data:/data" in tls_server["volumes"]  # same database, same admin
    assert tls_server["depends_on"]["c1-mock"]["condition"] == "service_healthy"
    env = {k: interpolate(str(v), {}) for k, v in tls_server["environment"].items()}
    settings = Settings(
        _env_file=None, host="0.0.0.0", **{k[7:].lower(): v for k, v in env.items()}
    )
    assert settings.tenant_domain == "127.0.0.1:8443"
    assert url(settings) == "https://127.0.0.1:8443/healthz"  # what its health check asks


def test_credentials_and_seed_come_from_env_not_from_the_compose_file(
    compose: dict[str, Any],
) -> None:
    text = COMPOSE.read_text()
    assert "ADMIN_CLIENT" not in text and "secret-token:" not in text
    for name in ("c1-mock", "c1-mock-tls"):
        assert services(compose)[name]["env_file"] == [{"path": ".env", "required": False}]
        assert "./seed:/seed:ro" in services(compose)[name]["volumes"]
    shown = example_env(commented=True)
    for name in ("C1MOCK_ADMIN_CLIENT_ID", "C1MOCK_ADMIN_CLIENT_SECRET", "C1MOCK_SEED_FILE"):
        assert name in shown
    seed = shown["C1MOCK_SEED_FILE"]
    assert seed.startswith("/seed/") and (ROOT / "seed" / seed[len("/seed/") :]).is_file()


def test_every_setting_in_env_example_is_a_c1_mock_setting() -> None:
    for name in example_env(commented=True):
        if name.startswith("C1MOCK_"):
            assert name[len("C1MOCK_") :].lower() in Settings.model_fields, name
    set_now = {
        k[7:].lower(): v for k, v in example_env(commented=False).items() if k[:7] == "C1MOCK_"
    }
    assert Settings(**set_now).tenant_domain == "127.0.0.1:8443"


def readme_compose_section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("### docker compose")
    return text[start : text.index("\n## ", start)]


def test_readme_compose_steps_name_what_the_files_define(compose: dict[str, Any]) -> None:
    section = readme_compose_section()
    for profile in re.findall(r"--profile (\S+)", section):
        assert any(profile in s.get("profiles", []) for s in services(compose).values()), profile
    for service in re.findall(r"docker compose (?:logs|run --rm --no-deps|cp) ([\w-]+)", section):
        assert service in services(compose), service
    for volume in re.findall(r"`([\w-]+-data)` volume", section):
        assert volume in compose["volumes"], volume
    (copied,) = re.findall(r"docker compose cp c1-mock-tls:(\S+) ", section)
    tls_dir = services(compose)["c1-mock-tls"]["environment"]["C1MOCK_TLS_DIR"]
    assert copied == f"{tls_dir}/ca.pem"
    shown = example_env(commented=True)
    for name, value in re.findall(r"`([A-Z][A-Z0-9_]+)=([^`]+)`", section):
        if name in shown:
            assert shown[name] == value, name
    assert "127.0.0.1:8080" in section and "127.0.0.1:8443" in section
