"""TLS for `c1-mock serve --tls`: a local CA and a server certificate, made once in the TLS
directory and reused afterwards, or the user's own certificate and key.

C1's Go-based clients (Go SDK, cone, baton) hard-code https, so a local server needs a certificate
they trust; Go reads extra roots from SSL_CERT_FILE, which is why the CA is its own file (ca.pem).
Keys come from the operating system's randomness, never from the app's seeded random source: a
seeded key is no key.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import os
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..config import Settings

CA_CERT, CA_KEY = "ca.pem", "ca-key.pem"
SERVER_CERT, SERVER_KEY = "server.pem", "server-key.pem"
CA_LIFETIME = timedelta(days=3650)
SERVER_LIFETIME = timedelta(days=365)
RENEW_BEFORE = timedelta(days=30)
PRIVATE_MODE = 0o600  # every private key file c1-mock writes
PUBLIC_MODE = 0o644

Key = ec.EllipticCurvePrivateKey


class TLSError(ValueError):
    """TLS files that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class TLSFiles:
    cert: Path
    key: Path
    ca: Path | None  # None for a certificate of the user's own


def prepare(settings: Settings) -> TLSFiles | None:
    """The certificate and key to serve with, or None when TLS is off."""
    if settings.tls_cert is not None and settings.tls_key is not None:
        return _own(settings.tls_cert, settings.tls_key)
    if not settings.tls:
        return None
    return ensure_local(Path(settings.tls_dir), server_names(settings))


def server_names(settings: Settings) -> list[str]:
    """What the server certificate is for: the loopback names, the tenant domain's host (which
    self-routing client ids point at) and the listening address when it is a specific one."""
    names = ["localhost", "127.0.0.1", "::1", host_of(settings.tenant_domain)]
    if settings.host not in ("0.0.0.0", "::", ""):  # noqa: S104 - comparing, not binding
        names.append(settings.host)
    return list(dict.fromkeys(names))


def host_of(address: str) -> str:
    """`127.0.0.1:8443` -> `127.0.0.1`, `[::1]:8443` -> `::1`, `acme.conductor.one` unchanged."""
    if address.startswith("["):
        return address[1 : address.index("]")]
    if address.count(":") == 1:
        return address.split(":", 1)[0]
    return address


def ensure_local(tls_dir: Path, names: list[str]) -> TLSFiles:
    """Create the CA on first use and reuse it after; issue a server certificate for `names`
    unless the one on disk is this CA's, covers them and is not about to expire."""
    tls_dir.mkdir(parents=True, exist_ok=True)
    with _locked(tls_dir):
        now = datetime.now(UTC)
        ca_cert, ca_key = _load_or_create_ca(tls_dir, now)
        if not _server_usable(tls_dir, ca_cert, names, now):
            _issue_server(tls_dir, ca_cert, ca_key, names, now)
    return TLSFiles(tls_dir / SERVER_CERT, tls_dir / SERVER_KEY, tls_dir / CA_CERT)


def _own(cert: Path, key: Path) -> TLSFiles:
    """The user's certificate and key, checked now so that a bad pair fails before serving."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise TLSError(f"cannot use --tls-cert {cert} with --tls-key {key}: {exc}") from None
    return TLSFiles(cert, key, None)


@contextlib.contextmanager
def _locked(tls_dir: Path) -> Iterator[None]:
    """Servers started at once on one directory must agree on one CA."""
    with (tls_dir / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _load_or_create_ca(tls_dir: Path, now: datetime) -> tuple[x509.Certificate, Key]:
    cert_path, key_path = tls_dir / CA_CERT, tls_dir / CA_KEY
    if cert_path.exists() != key_path.exists():
        raise TLSError(
            f"{tls_dir} has one of {CA_CERT} and {CA_KEY} but not the other; "
            "remove the directory to start with a new CA"
        )
    if cert_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = _load_key(key_path)
        if cert.public_key() != key.public_key():
            raise TLSError(f"{CA_KEY} does not belong to {CA_CERT} in {tls_dir}")
        return cert, key
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _ca_certificate(key, now)
    _write(key_path, _key_pem(key), PRIVATE_MODE)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), PUBLIC_MODE)
    return cert, key


def _load_key(path: Path) -> Key:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TLSError(f"{path} is not an EC private key")
    return key


def _ca_certificate(key: Key, now: datetime) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "c1-mock"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"c1-mock local CA {os.urandom(4).hex()}"),
        ]
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _alt_names(names: list[str]) -> list[x509.GeneralName]:
    out: list[x509.GeneralName] = []
    for name in names:
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            out.append(x509.DNSName(name))
    return out


def _server_usable(
    tls_dir: Path, ca_cert: x509.Certificate, names: list[str], now: datetime
) -> bool:
    cert_path, key_path = tls_dir / SERVER_CERT, tls_dir / SERVER_KEY
    if not (cert_path.exists() and key_path.exists()):
        return False
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    try:
        cert.verify_directly_issued_by(ca_cert)
        covered = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        key_matches = _load_key(key_path).public_key() == cert.public_key()
    except (ValueError, TypeError, x509.ExtensionNotFound, InvalidSignature):
        return False
    return (
        key_matches
        and all(name in covered for name in _alt_names(names))
        and cert.not_valid_after_utc - RENEW_BEFORE > now
    )


def _issue_server(
    tls_dir: Path, ca_cert: x509.Certificate, ca_key: Key, names: list[str], now: datetime
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(min(now + SERVER_LIFETIME, ca_cert.not_valid_after_utc))
        .add_extension(x509.SubjectAlternativeName(_alt_names(names)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write(tls_dir / SERVER_KEY, _key_pem(key), PRIVATE_MODE)
    _write(tls_dir / SERVER_CERT, cert.public_bytes(serialization.Encoding.PEM), PUBLIC_MODE)


def _key_pem(key: Key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write atomically. mkstemp creates the file 0600, so a key is never readable by others,
    not even between creating and renaming it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), mode)
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
