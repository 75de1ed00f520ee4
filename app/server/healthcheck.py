"""`c1-mock healthcheck`: ask a server for /healthz and say, in one line, what answered.

Docker's HEALTHCHECK and compose healthchecks use it, so the image needs no curl. Without --url
the probe follows the same C1MOCK_ settings as the server it checks (port, TLS, local CA); with
--url it asks that server, trusting --ca, else the local CA of the settings when there is one.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx

from ..config import Settings
from . import tls


def base_url(settings: Settings) -> str:
    """Where the server of these settings answers, seen from the same machine."""
    host = settings.host if settings.host not in ("0.0.0.0", "::", "") else "127.0.0.1"  # noqa: S104
    host = f"[{host}]" if ":" in host else host
    return f"{'https' if settings.tls else 'http'}://{host}:{settings.port}"


def url(settings: Settings) -> str:
    """The health URL of the server of these settings."""
    return base_url(settings) + "/healthz"


def verify(
    settings: Settings, *, ca: Path | None = None, given_url: bool = False
) -> ssl.SSLContext | bool:
    """How to check the server's certificate: --ca, else the local CA of the settings (made by
    `serve --tls`) when it exists, else the system's roots."""
    if ca is not None:
        return ssl.create_default_context(cafile=ca)
    if settings.tls_cert is not None and not given_url:
        # A certificate of the user's own may come from any CA, or name another host; this probe
        # only asks our own process over loopback whether it is up.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    local = settings.tls_dir / tls.CA_CERT
    return ssl.create_default_context(cafile=local) if local.is_file() else True


def check(target: str, *, trust: ssl.SSLContext | bool, timeout: float = 3.0) -> tuple[bool, str]:
    """(healthy, one line on what answered at `target`/healthz)."""
    health = target.rstrip("/") + "/healthz"
    try:
        response = httpx.get(health, verify=trust, timeout=timeout)
    except httpx.HTTPError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return False, f"{health}: no answer ({reason})"
    body = " ".join(response.text.split())[:200]
    if response.status_code == 200:
        return True, f"{health}: healthy ({response.status_code} {body})"
    return False, f"{health}: unhealthy ({response.status_code} {body})"


def probe(settings: Settings, *, timeout: float = 3.0) -> bool:
    """True when the server of these settings answers /healthz with 200."""
    return check(base_url(settings), trust=verify(settings), timeout=timeout)[0]
