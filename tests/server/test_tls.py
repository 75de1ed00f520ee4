"""`c1-mock serve --tls`: real processes, and clients that trust only the local CA."""

from __future__ import annotations

import os
import re
import ssl
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from c1_mock.config import Settings
from c1_mock.server import tls
from c1_mock.testing.process import ServerProcess, free_port

KEY_FILES = (tls.CA_KEY, tls.SERVER_KEY)


def trusting(ca: Path) -> ssl.SSLContext:
    """A client context that trusts this CA and nothing else (no system roots)."""
    return ssl.create_default_context(cafile=ca)


def tls_server(tmp_path: Path, tls_dir: Path, *extra: str, log: str = "serve.log") -> ServerProcess:
    env = {"C1MOCK_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    args = ["--tls", "--tls-dir", str(tls_dir), *extra]
    return ServerProcess(env, log_path=tmp_path / log, args=args, scheme="https")


def healthcheck(port: int, **env: str) -> int:
    variables = {**os.environ, "C1MOCK_PORT": str(port), **env}
    command = [sys.executable, "-m", "c1_mock.cli", "healthcheck"]
    return subprocess.run(command, env=variables, capture_output=True, timeout=30).returncode


@pytest.mark.process
def test_tls_server_answers_clients_that_trust_its_ca_and_refuses_others(tmp_path: Path) -> None:
    tls_dir = tmp_path / "tls"
    # The CA does not exist before this first start makes it, so the wait for health cannot
    # verify; every check after it does.
    server = tls_server(tmp_path, tls_dir).start(verify=False)
    try:
        with httpx.Client(verify=trusting(tls_dir / tls.CA_CERT)) as client:
            assert client.get(f"{server.url}/healthz").json() == {"status": "ok"}
        stranger = tls.ensure_local(tmp_path / "other-ca", ["localhost", "127.0.0.1"]).ca
        assert stranger is not None
        for verify in (True, trusting(stranger)):  # system roots, then another local CA
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                httpx.get(f"{server.url}/healthz", verify=verify)
        with pytest.raises(httpx.RemoteProtocolError):  # plain http to the TLS port
            httpx.get(f"http://127.0.0.1:{server.port}/healthz")
        assert healthcheck(server.port, C1MOCK_TLS="true", C1MOCK_TLS_DIR=str(tls_dir)) == 0
    finally:
        server.stop()
    assert f"SSL_CERT_FILE={(tls_dir / tls.CA_CERT).resolve()}" in server.output()
    assert healthcheck(server.port, C1MOCK_TLS="true", C1MOCK_TLS_DIR=str(tls_dir)) == 1


def probe_url(url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`c1-mock healthcheck --url url ...` without any C1MOCK_ setting, in `cwd`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("C1MOCK_")}
    command = [sys.executable, "-m", "c1_mock.cli", "healthcheck", "--url", url, *args]
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=30)


@pytest.mark.process
def test_healthcheck_of_an_https_url_trusts_the_local_ca_or_the_given_one(tmp_path: Path) -> None:
    tls_dir = tmp_path / "tls"
    server = tls_server(tmp_path, tls_dir).start(verify=False)
    try:
        by_dir = probe_url(server.url, "--tls-dir", str(tls_dir), cwd=tmp_path)
        by_ca = probe_url(server.url, "--ca", str(tls_dir / tls.CA_CERT), cwd=tmp_path)
        untrusted = probe_url(server.url, cwd=tmp_path)  # no local CA in ./c1-mock-tls
    finally:
        server.stop()

    for found in (by_dir, by_ca):
        assert found.returncode == 0, found.stdout + found.stderr
        assert found.stdout.strip() == f'{server.url}/healthz: healthy (200 {{"status":"ok"}})'
    assert untrusted.returncode == 1
    assert "no answer" in untrusted.stdout and "CERTIFICATE_VERIFY_FAILED" in untrusted.stdout


@pytest.mark.process
def test_second_start_reuses_the_ca_and_the_server_certificate(tmp_path: Path) -> None:
    tls_dir = tmp_path / "tls"
    tls_server(tmp_path, tls_dir).start(verify=False).stop()
    first = {name: (tls_dir / name).read_bytes() for name in sorted(os.listdir(tls_dir))}
    (tmp_path / "first-ca.pem").write_bytes(first[tls.CA_CERT])
    with_first_ca = {"verify": trusting(tmp_path / "first-ca.pem")}
    again = tls_server(tmp_path, tls_dir, log="again.log").start(**with_first_ca)
    try:
        assert httpx.get(f"{again.url}/healthz", **with_first_ca).status_code == 200
    finally:
        again.stop()
    assert {name: (tls_dir / name).read_bytes() for name in sorted(os.listdir(tls_dir))} == first


def test_private_key_files_are_0600_even_under_a_permissive_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        tls.ensure_local(tmp_path / "tls", ["localhost", "127.0.0.1"])
    finally:
        os.umask(previous)
    for name in KEY_FILES:
        assert stat.S_IMODE((tmp_path / "tls" / name).stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "tls" / tls.CA_CERT).stat().st_mode) == 0o644
    assert sorted(os.listdir(tmp_path / "tls")) == sorted(
        [".lock", tls.CA_CERT, *KEY_FILES, tls.SERVER_CERT]
    )  # no temporary file left behind


def test_new_names_get_a_new_server_certificate_from_the_same_ca(tmp_path: Path) -> None:
    first = tls.ensure_local(tmp_path, ["localhost", "acme.conductor.one"])
    ca, cert = first.ca.read_bytes() if first.ca else b"", first.cert.read_bytes()
    second = tls.ensure_local(tmp_path, ["localhost", "127.0.0.1", "::1", "other.example"])
    assert second.ca is not None and second.ca.read_bytes() == ca
    assert second.cert.read_bytes() != cert
    names = x509.load_pem_x509_certificate(second.cert.read_bytes()).extensions
    alt = names.get_extension_for_class(x509.SubjectAlternativeName).value
    assert alt.get_values_for_type(x509.DNSName) == ["localhost", "other.example"]
    assert [str(ip) for ip in alt.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "::1"]


def test_a_half_present_ca_is_refused_rather_than_replaced(tmp_path: Path) -> None:
    tls.ensure_local(tmp_path, ["localhost"])
    (tmp_path / tls.CA_KEY).unlink()
    with pytest.raises(tls.TLSError, match="remove the directory"):
        tls.ensure_local(tmp_path, ["localhost"])


@pytest.mark.process
def test_own_certificate_and_key_are_served_and_no_local_ca_is_made(tmp_path: Path) -> None:
    own = tls.ensure_local(tmp_path / "own", ["127.0.0.1"])  # stands for the user's own pair
    assert own.ca is not None
    unused = tmp_path / "unused-tls-dir"
    env = {"C1MOCK_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    args = ["--tls-cert", str(own.cert), "--tls-key", str(own.key), "--tls-dir", str(unused)]
    server = ServerProcess(env, log_path=tmp_path / "own.log", args=args, scheme="https")
    with_ca = {"verify": trusting(own.ca)}
    server.start(**with_ca)
    try:
        assert httpx.get(f"{server.url}/healthz", **with_ca).status_code == 200
        assert (
            healthcheck(server.port, C1MOCK_TLS_CERT=str(own.cert), C1MOCK_TLS_KEY=str(own.key))
            == 0
        )
    finally:
        server.stop()
    assert not unused.exists()
    assert "SSL_CERT_FILE" not in server.output()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tls-cert", "cert.pem"], "tls_cert and tls_key go together"),
        (["--tls-cert", "missing.pem", "--tls-key", "missing-key.pem"], "cannot use --tls-cert"),
    ],
)
def test_unusable_tls_options_stop_the_server_before_it_serves(
    tmp_path: Path, args: list[str], message: str
) -> None:
    command = [sys.executable, "-m", "c1_mock.cli", "serve", "--port", str(free_port()), *args]
    env = {**os.environ, "C1MOCK_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    done = subprocess.run(
        command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert message in done.stderr
    assert not (tmp_path / "db.sqlite").exists()  # refused before migrating anything


def test_every_tls_and_routing_flag_is_a_serve_option_and_a_setting() -> None:
    help_text = subprocess.run(
        [sys.executable, "-m", "c1_mock.cli", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for flag in ("--tls", "--tls-dir", "--tls-cert", "--tls-key", "--self-route"):
        alone = re.compile(rf"(?<![\w-]){flag}(?![\w-])")
        assert alone.search(help_text) and alone.search(readme), flag
        assert flag[2:].replace("-", "_") in Settings.model_fields, flag
