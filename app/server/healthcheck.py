"""`c1-mock healthcheck`: ask the server these settings describe for /healthz.

Docker's HEALTHCHECK and compose healthchecks use it, so the image needs no curl, and the probe
follows the same C1MOCK_ settings as the server it checks (port, TLS, local CA).
"""

from __future__ import annotations

import ssl

import httpx

from ..config import Settings
from . import tls


def url(settings: Settings) -> str:
    """Where the server of these settings answers, seen from the same machine."""
    host = settings.host if settings.host not in ("0.0.0.0", "::", "") else "127.0.0.1"  # noqa: S104
    host = f"[{host}]" if ":" in host else host
    return f"{'https' if settings.tls else 'http'}://{host}:{settings.port}/healthz"


def _verify(settings: Settings) -> ssl.SSLContext | bool:
    if not settings.tls:
        return True
    if settings.tls_cert is None:
        return ssl.create_default_context(cafile=settings.tls_dir / tls.CA_CERT)
    # A certificate of the user's own may come from any CA, or name another host; this probe
    # only asks our own process over loopback whether it is up.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def probe(settings: Settings, *, timeout: float = 3.0) -> bool:
    """True when /healthz answers 200."""
    try:
        response = httpx.get(url(settings), verify=_verify(settings), timeout=timeout)
    except (httpx.HTTPError, OSError):
        return False
    return response.status_code == 200
