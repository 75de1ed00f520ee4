"""A setting that cannot work stops `c1-mock serve` with one line on stderr that names the setting,
says what is wrong and what is allowed, and exit status 2: no traceback, never a password. Each
case is run as users run it, `python -m c1_mock.cli serve ...` with C1MOCK_ variables."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from c1_mock.testing.process import free_port
from tests.helpers import PG_ENV

PASSWORD = "pw-never-shown-4711"


def serve(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """`c1-mock serve` on a database of its own in tmp_path (unless the case names one)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("C1MOCK_")}
    env |= {"C1MOCK_DATABASE_URL": f"sqlite:///{tmp_path / 'c1.db'}", "C1MOCK_PORT": "0"}
    env |= {f"C1MOCK_{name.upper()}": value for name, value in settings.items()}
    return subprocess.run(
        [sys.executable, "-m", "c1_mock.cli", "serve", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def refused(done: subprocess.CompletedProcess[str], setting: str, *said: str) -> str:
    """Assert the one-line refusal that names `setting` and says `said`; returns the line."""
    line = done.stderr.strip()
    assert done.returncode == 2, done.stderr
    assert "\n" not in line and "Traceback" not in done.stderr, done.stderr
    assert line.startswith("c1-mock"), line
    assert setting in line, line
    for words in said:
        assert words in line, line
    assert PASSWORD not in done.stdout + done.stderr
    return line


def test_an_unknown_hash_scheme_names_the_allowed_ones(tmp_path: Path) -> None:
    done = serve(tmp_path, secret_hash_scheme="nonsense")
    refused(done, "C1MOCK_SECRET_HASH_SCHEME", "'nonsense'", "pbkdf2_sha256", "argon2", "bcrypt")


def test_hash_rounds_out_of_the_schemes_range_say_its_range(tmp_path: Path) -> None:
    done = serve(tmp_path, secret_hash_scheme="bcrypt", secret_hash_rounds="2")
    refused(done, "C1MOCK_SECRET_HASH_ROUNDS", "bcrypt takes 4 to 31")


def test_an_unknown_log_level_names_the_flag_and_the_levels(tmp_path: Path) -> None:
    done = serve(tmp_path, "--log-level", "loud")
    refused(done, "C1MOCK_LOG_LEVEL (--log-level)", "'loud'", "debug", "warning")


def test_a_mysql_url_says_which_databases_work_and_hides_its_password(tmp_path: Path) -> None:
    done = serve(tmp_path, database_url=f"mysql://root:{PASSWORD}@127.0.0.1/c1")
    refused(done, "C1MOCK_DATABASE_URL", "mysql:// is not supported", "sqlite:///", "postgresql://")


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_sqlite_database_is_refused_for_a_file(tmp_path: Path, url: str) -> None:
    done = serve(tmp_path, database_url=url)
    refused(done, "C1MOCK_DATABASE_URL", "in-memory SQLite", "sqlite:///path/to/file.db")


def test_a_sqlite_file_in_a_missing_directory_names_the_directory(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such"
    done = serve(tmp_path, "--database-url", f"sqlite:///{missing / 'c1.db'}")
    refused(done, "C1MOCK_DATABASE_URL (--database-url)", str(missing), "does not exist")
    assert not missing.exists()


def test_an_unreachable_postgresql_names_host_port_and_database(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    done = serve(tmp_path, database_url=f"postgresql://c1:{PASSWORD}@127.0.0.1:{port}/c1mock")
    refused(done, "C1MOCK_DATABASE_URL", f"127.0.0.1:{port}", "database c1mock", "refused")


@pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} names no PostgreSQL server")
def test_a_missing_postgresql_database_names_it(tmp_path: Path) -> None:
    server = make_url(os.environ[PG_ENV])
    name = f"c1mock_missing_{uuid.uuid4().hex[:8]}"
    url = server.set(database=name, password=PASSWORD).render_as_string(hide_password=False)
    done = serve(tmp_path, database_url=url)
    where = f"{server.host or 'localhost'}:{server.port or 5432}"
    refused(done, "C1MOCK_DATABASE_URL", where, f"database {name}", "does not exist")


def test_a_port_out_of_range_says_the_range(tmp_path: Path) -> None:
    refused(serve(tmp_path, "--port", "70000"), "C1MOCK_PORT (--port)", "65535", "70000")


def test_a_port_that_is_not_a_number_is_one_line_too(tmp_path: Path) -> None:
    refused(serve(tmp_path, port="eighty"), "C1MOCK_PORT", "valid integer", "'eighty'")
    refused(serve(tmp_path, "--port", "eighty"), "--port", "invalid int value")


def test_a_missing_seed_file_names_the_path_it_tried(tmp_path: Path) -> None:
    done = serve(tmp_path, seed_file="seeds/absent.yaml")
    refused(done, "C1MOCK_SEED_FILE", str(tmp_path / "seeds" / "absent.yaml"), "cannot read")


def test_a_certificate_without_its_key_names_both(tmp_path: Path) -> None:
    done = serve(tmp_path, tls_cert=str(tmp_path / "cert.pem"))
    refused(done, "C1MOCK_TLS_CERT", "C1MOCK_TLS_KEY", "go together")


def test_an_admin_client_id_of_the_wrong_form_says_the_form(tmp_path: Path) -> None:
    done = serve(tmp_path, admin_client_id="admin", admin_client_secret=PASSWORD)
    refused(done, "C1MOCK_ADMIN_CLIENT_ID", "<name>@<tenant domain>/spc")


def test_the_help_of_serve_lists_the_settings_without_a_flag_in_plain_text() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "c1_mock.cli", "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for variable in ("C1MOCK_SEED_FILE", "C1MOCK_CONTROL_TOKEN", "C1MOCK_SECRET_HASH_SCHEME"):
        assert variable in done.stdout
    assert "C1MOCK_PORT" not in done.stdout  # it has a flag, --port
    assert "`" not in done.stdout
