"""The dashboard's files over HTTP: what /_mock/ui serves and with which headers, and that the page
needs nothing from elsewhere. tests/control/test_ui.py drives the page in a real browser."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from c1_mock.config import Settings
from c1_mock.main import operations
from c1_mock.request.operations import Registry
from tests.contract.openapi import check, spec

CSP = spec()["components"]["headers"]["DashboardContentSecurityPolicy"]["schema"]["const"]


def test_the_page_is_html_with_its_content_security_policy(client: TestClient) -> None:
    response = client.get("/_mock/ui")

    assert response.status_code == 200
    check(response)
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["Content-Security-Policy"] == CSP
    assert "default-src 'none'" in CSP and "frame-ancestors 'none'" in CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_page_offers_every_operation_a_fault_may_name(client: TestClient) -> None:
    page = client.get("/_mock/ui").text

    offered = set(re.findall(r'<option value="([^"]+)"></option>', page))

    names = Registry(operations(Settings(control=True))).fault_names()
    assert offered == {name for name in names if "." not in name}
    assert {"token", "CreateBridgeCredential"} <= offered


@pytest.mark.parametrize(
    ("name", "media_type"), [("ui.js", "text/javascript"), ("ui.css", "text/css")]
)
def test_the_script_and_stylesheet_are_served_with_their_media_types(
    client: TestClient, name: str, media_type: str
) -> None:
    response = client.get(f"/_mock/ui/{name}")

    assert response.status_code == 200
    check(response)
    assert response.headers["content-type"] == f"{media_type}; charset=utf-8"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("name", ["index.html", "page.py", "ui.JS", "..%2Fpage.py", "%2e%2e"])
def test_no_other_file_is_served(client: TestClient, name: str) -> None:
    response = client.get(f"/_mock/ui/{name}")

    assert response.status_code == 404
    assert response.json()["code"] == 5


def test_the_page_loads_nothing_from_elsewhere_and_runs_no_inline_code(
    client: TestClient,
) -> None:
    page = client.get("/_mock/ui").text
    files = [page, client.get("/_mock/ui/ui.js").text, client.get("/_mock/ui/ui.css").text]

    for text in files:
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.I)  # no CDN, no font
    assert re.findall(r"<script[^>]*>", page) == ['<script src="ui/ui.js" defer>']
    assert "<style" not in page and " style=" not in page
    assert not re.search(r"\son[a-z]+=", page)  # no inline event handlers


def test_the_script_inserts_server_values_as_text_only(client: TestClient) -> None:
    script = client.get("/_mock/ui/ui.js").text

    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
