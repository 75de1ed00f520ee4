"""What `c1-mock serve` says when it starts: where it serves and with how many workers, the
database (never its password), the tenant domain, the admin client, the control plane, the seed
file and TLS with the CA to trust; and on a restart, that the database has an admin already."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url

from c1_mock.server import tls
from c1_mock.testing.process import ServerProcess
from tests.helpers import TENANT

PASSWORD = "pw-not-in-the-summary-8812"


def _summary(output: str) -> str:
    """The summary's lines: from `c1-mock: serving` on, those indented under it."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("c1-mock: serving"))
    return "\n".join([lines[start], *(line for line in lines[start + 1 :] if line[:2] == "  ")])


def _with_password(database_url: str) -> str:
    """PostgreSQL's URL with a password (trust authentication ignores it); SQLite's unchanged."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return database_url
    return url.set(password=PASSWORD).render_as_string(hide_password=False)


@pytest.mark.process
def test_the_summary_says_where_with_what_database_tenant_control_seed_tls_and_workers(
    tmp_path: Path, database_url: str
) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(yaml.safe_dump({"bridges": [{"displayName": "seeded"}]}))
    env = {
        "C1MOCK_DATABASE_URL": _with_password(database_url),
        "C1MOCK_TENANT_DOMAIN": TENANT,
        "C1MOCK_CONTROL_TOKEN": "a-control-token",
        "C1MOCK_SEED_FILE": str(seed),
    }
    tls_dir = tmp_path / "tls"
    args = ["--tls", "--tls-dir", str(tls_dir), "--workers", "2"]
    server = ServerProcess(env, log_path=tmp_path / "serve.log", args=args, scheme="https")
    server.start(verify=False)  # the CA it trusts is made by this start
    server.stop()
    summary = _summary(server.output())

    ca = (tls_dir / tls.CA_CERT).resolve()
    assert f"serving https://127.0.0.1:{server.port} with 2 workers" in summary
    database = make_url(database_url)
    if database.get_backend_name() == "sqlite":
        assert f"SQLite file {Path(database.database or '').resolve()}" in summary
    else:
        assert f"@{database.host}:{database.port}/{database.database}" in summary
        assert ":***@" in summary
    assert f"tenant domain: {TENANT}" in summary
    assert "admin client:" in summary and f"@{TENANT}/spc" in summary
    assert f"https://127.0.0.1:{server.port}/_mock/ (needs Authorization: Bearer" in summary
    assert f"seed file:     {seed} (applied)" in summary
    assert f"the local CA {ca}; clients trust it with SSL_CERT_FILE={ca}" in summary
    assert PASSWORD not in server.output() and "a-control-token" not in server.output()
    assert len(summary.splitlines()) <= 8


@pytest.mark.process
def test_the_summary_says_a_control_plane_is_open_or_off(tmp_path: Path) -> None:
    env = {"C1MOCK_DATABASE_URL": f"sqlite:///{tmp_path / 'c1.db'}"}
    cases = (
        ([], "/_mock/ (open; C1MOCK_CONTROL_TOKEN would protect it)"),
        (["--no-control"], "control plane: off (--no-control)"),
    )
    for number, (args, said) in enumerate(cases):
        server = ServerProcess(env, log_path=tmp_path / f"serve-{number}.log", args=args)
        with server:
            summary = _summary(server.output())
        assert f"serving http://127.0.0.1:{server.port} with 1 worker" in summary
        assert said in summary
        assert "seed file:     none" in summary and "TLS:           off (plain http)" in summary
