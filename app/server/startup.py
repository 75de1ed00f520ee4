"""What `c1-mock serve` says before it serves (where, on which database, for which tenant, with
which control plane, seed file, TLS and workers), and what it says about a database it cannot use.
Never a password: URLs are shown with it masked, and database errors are reduced to one line
that names the host, port and database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ..config import Settings
from ..core.db import normalise_url
from .healthcheck import base_url
from .tls import TLSFiles

LISTEN_ANYWHERE = ("0.0.0.0", "::", "")  # noqa: S104 - compared, not bound


def summary(settings: Settings, *, tls: TLSFiles | None, admin: str) -> str:
    """A few lines for stderr: the facts a user needs to point a client at this server."""
    url = base_url(settings)
    where = " (listening on every address)" if settings.host in LISTEN_ANYWHERE else ""
    workers = f"{settings.workers} worker{'s' if settings.workers > 1 else ''}"
    seed = str(settings.seed_file.resolve()) + " (applied)" if settings.seed_file else "none"
    lines = [
        f"c1-mock: serving {url}{where} with {workers}",
        f"  database:      {shown_database(settings.database_url)}",
        f"  tenant domain: {settings.tenant_domain}",
        f"  admin client:  {admin}",
        f"  control plane: {_control(settings, url)}",
        f"  seed file:     {seed}",
        f"  TLS:           {_tls(tls)}",
    ]
    return "\n".join(lines)


def shown_database(url: str) -> str:
    """The database as a user may see it: a SQLite file's full path, or the URL without its
    password."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite":
        name = parsed.database or ""
        if not name or name == ":memory:" or name.startswith("file:"):
            return f"SQLite {name or 'in memory'}"
        return f"SQLite file {Path(name).resolve()}"
    return parsed.render_as_string(hide_password=True)


def _control(settings: Settings, url: str) -> str:
    if not settings.control:
        return "off (--no-control): /_mock/ answers 404"
    who = (
        "needs Authorization: Bearer <C1MOCK_CONTROL_TOKEN>"
        if settings.control_token
        else "open; C1MOCK_CONTROL_TOKEN would protect it"
    )
    return f"{url}/_mock/ ({who}), the contract at /_mock/openapi.yaml"


def _tls(files: TLSFiles | None) -> str:
    if files is None:
        return "off (plain http)"
    if files.ca is None:
        return f"your certificate {files.cert.resolve()}"
    ca = files.ca.resolve()
    return f"certificate from the local CA {ca}; clients trust it with SSL_CERT_FILE={ca}"


def database_problem(url: str, exc: SQLAlchemyError) -> str:
    """One line for a database the server cannot use: where it is and why, never the password."""
    parsed = make_url(normalise_url(url))
    reason = _reason(exc, parsed.password)
    if parsed.get_backend_name() == "sqlite":
        return f"C1MOCK_DATABASE_URL: cannot use the {shown_database(url)}: {reason}"
    host, port = parsed.host or "localhost", parsed.port or 5432
    return (
        f"C1MOCK_DATABASE_URL: cannot use PostgreSQL database {parsed.database or '(default)'} "
        f"at {host}:{port} as user {parsed.username or '(default)'}: {reason}"
    )


def _reason(exc: SQLAlchemyError, password: str | None) -> str:
    """The driver's own words, on one line, without the password if it ever quotes it."""
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    text = "; ".join(lines[:2]) or type(original).__name__
    return text.replace(password, "***") if password else text
