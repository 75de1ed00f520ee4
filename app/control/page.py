"""The dashboard at /_mock/ui: one HTML page, its stylesheet and its script, shipped in the package
(control/ui/), no build step and nothing from elsewhere.

The files are not secret, so they are served without the control token (a browser that follows a
link cannot send one); every call the page makes for data sends it. The page's script inserts
what the server says as text, never as HTML, and the Content-Security-Policy lets the page run
only its own script and style, send requests only to its own origin, and be framed by no one.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from importlib import resources

from fastapi.responses import Response

from ..core.errors import NotFound

ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "ui.css": "text/css; charset=utf-8",
    "ui.js": "text/javascript; charset=utf-8",
}
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",  # the forms are handled by the script, never submitted
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",  # the package's files change with its version
}
# Where the page lists the operations a fault or a journal filter may name.
OPERATIONS_MARK = "<!-- operations -->"


def _read(name: str) -> str:
    assert __package__  # c1_mock.control, where the files are installed beside this module
    return (resources.files(__package__) / "ui" / name).read_text(encoding="utf-8")


def page(operation_names: Iterable[str]) -> Response:
    """The page, with the names of the operations that answer faults as choices."""
    options = "".join(f'<option value="{escape(name)}"></option>' for name in operation_names)
    html = _read("index.html").replace(OPERATIONS_MARK, options)
    return Response(html, media_type=ASSETS["index.html"], headers=HEADERS)


def asset(name: str) -> Response:
    """The page's stylesheet or script; NotFound for any other name."""
    if name not in ASSETS or name == "index.html":
        raise NotFound("no such file of the dashboard")
    return Response(_read(name), media_type=ASSETS[name], headers=HEADERS)
