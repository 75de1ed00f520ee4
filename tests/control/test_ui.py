"""The dashboard (/_mock/ui) in a real browser: Debian's chromium, driven by Playwright, against a
real `c1-mock serve`. State is made over the API and seen on the page; the page's controls change
the server, which the API then reports.

Chromium comes from Debian's package (`.ci/run` installs it; here too, when missing and root);
Playwright never downloads a browser of its own. Where none can be installed the tests are
skipped, saying so. `C1MOCK_UPDATE_SCREENSHOT=1` also writes docs/ui.png, the README's picture.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from c1_mock.testing.client import C1Mock
from c1_mock.testing.process import ServerProcess
from tests.helpers import ADMIN_ID, ADMIN_SECRET, BRIDGES, TENANT

# One server and one browser for the module, so its tests stay on one xdist worker.
pytestmark = [pytest.mark.process, pytest.mark.xdist_group("ui")]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CONTROL_TOKEN = "control-token-for-the-page"
# How long an expectation waits for the page (it polls every 2 s) on a busy 2-core machine.
expect.set_options(timeout=15_000)
HOSTILE = "<img src=x onerror=alert(1)>"


def _chromium() -> Path | None:
    """Debian's chromium, installed with apt-get when missing and we are root (as in CI)."""
    if not CHROMIUM.exists() and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-q", "chromium"]
        quiet: dict[str, Any] = {"env": env, "capture_output": True, "timeout": 900}
        if subprocess.run(install, **quiet).returncode:
            subprocess.run(["apt-get", "update", "-q"], **quiet)
            subprocess.run(install, **quiet)
    return CHROMIUM if CHROMIUM.exists() else None


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = _chromium()
    if chromium is None:
        pytest.skip(
            f"no Chromium: {CHROMIUM} is missing and could not be installed "
            "(`apt-get install chromium` needs root on Debian)"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _serve(tmp_path: Path, **extra: str) -> ServerProcess:
    env = {
        "C1MOCK_DATABASE_URL": f"sqlite:///{tmp_path / 'c1-mock.db'}",
        "C1MOCK_TENANT_DOMAIN": TENANT,
        "C1MOCK_ADMIN_CLIENT_ID": ADMIN_ID,
        "C1MOCK_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
        # Short enough that advancing the clock by hours from the page expires a credential.
        "C1MOCK_CREDENTIAL_LIFETIME": "3600",
        "C1MOCK_LOG_LEVEL": "warning",
        **extra,
    }
    return ServerProcess(env, log_path=tmp_path / "serve.log")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with _serve(tmp_path_factory.mktemp("ui")) as process:
        yield process


@pytest.fixture
def mock(server: ServerProcess) -> Iterator[C1Mock]:
    """The shipped helpers over HTTP, on a freshly reset server."""
    with httpx.Client(base_url=server.url) as client:
        helpers = C1Mock(client, admin_client_id=ADMIN_ID, admin_client_secret=ADMIN_SECRET)
        helpers.reset()
        yield helpers


@contextmanager
def _opened(browser: Browser, url: str, width: int = 1280, height: int = 800) -> Iterator[Page]:
    """A page of its own (fresh sessionStorage) at `url`; fails the test if the page ever opened
    a dialog (what injected markup would do) or broke its Content-Security-Policy."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    dialogs: list[str] = []
    violations: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and violations.append(message.text)
        ),
    )
    page.goto(f"{url}/_mock/ui")
    try:
        yield page
    finally:
        context.close()
    assert dialogs == [], "the page opened a dialog"
    assert violations == [], "the page broke its own Content-Security-Policy"


@pytest.fixture
def page(browser: Browser, server: ServerProcess, mock: C1Mock) -> Iterator[Page]:
    with _opened(browser, server.url) as opened:
        yield opened


def _choose(page: Page, display_name: str) -> None:
    page.locator("#bridges").get_by_role("button", name=display_name, exact=True).click()


# --- what the page shows -------------------------------------------------------------------------


def test_bridges_and_credentials_made_over_the_api_show_on_the_page(
    page: Page, mock: C1Mock
) -> None:
    office = mock.create_bridge("office network")
    first, second = mock.mint(office["id"]), mock.mint(office["id"])
    lab = mock.create_bridge("lab")
    mock.set_appliance(lab["id"])

    bridges = page.locator("#bridges tbody tr")
    expect(bridges).to_have_count(2)
    expect(bridges.nth(0)).to_contain_text("office network")
    expect(bridges.nth(0)).to_contain_text(office["id"])
    expect(bridges.nth(0)).to_contain_text("NEVER_CONNECTED")
    expect(bridges.nth(1)).to_contain_text("CONNECTED")

    _choose(page, "office network")
    events = page.locator("#timeline li")
    expect(events).to_have_count(3)
    expect(events.nth(0)).to_contain_text(f"CREATED{second['clientId']}")
    expect(events.nth(1)).to_contain_text(f"REVOKED{first['clientId']}")
    expect(events.nth(2)).to_contain_text(f"CREATED{first['clientId']}")
    expect(page.locator("#active-now")).to_contain_text(f"Active now: {second['clientId']}")
    assert "secret-token:" not in page.content()


def test_a_hostile_display_name_shows_as_text(page: Page, mock: C1Mock) -> None:
    mock.create_bridge(HOSTILE)

    name = page.locator("#bridges").get_by_role("button", name=HOSTILE, exact=True)
    expect(name).to_have_text(HOSTILE)
    name.click()
    expect(page.locator("#timeline-title")).to_have_text(f"of {HOSTILE}")
    assert page.locator("img").count() == 0  # and no dialog opened: see _opened


# --- the clock -----------------------------------------------------------------------------------


def test_advancing_the_clock_from_the_page_expires_the_credential(page: Page, mock: C1Mock) -> None:
    bridge = mock.create_bridge("office network")
    credential = mock.mint(bridge["id"])
    _choose(page, "office network")
    expect(page.locator("#active-now")).to_contain_text(credential["clientId"])

    page.locator("#advance-amount").fill("2")
    page.locator("#advance-unit").select_option(label="hours")
    page.get_by_role("button", name="Advance").click()

    expect(page.locator("#timeline li").first).to_contain_text(
        f"EXPIRED{credential['clientId']}nowEXPIRED"
    )
    expect(page.locator("#active-now")).to_have_text("No active credential.")
    expect(page.locator("#clock-mode")).to_have_text("virtual, running")
    assert mock.state()["credentials"][0]["credentialStatus"] == "TUNNEL_CREDENTIAL_STATUS_EXPIRED"
    assert mock.clock()["offsetSeconds"] >= 7200


def test_the_page_freezes_unfreezes_and_returns_the_clock_to_real_time(
    page: Page, mock: C1Mock
) -> None:
    mode = page.locator("#clock-mode")
    expect(mode).to_have_text("real time")

    page.get_by_role("button", name="Freeze", exact=True).click()
    expect(mode).to_have_text("virtual, frozen")
    assert mock.clock()["frozen"] is True

    page.get_by_role("button", name="Unfreeze").click()
    expect(mode).to_have_text("virtual, running")
    assert mock.clock()["frozen"] is False

    page.get_by_role("button", name="Back to real time").click()
    expect(mode).to_have_text("real time")
    assert mock.clock()["virtual"] is False


# --- faults and the journal ----------------------------------------------------------------------


def test_a_fault_armed_from_the_page_answers_and_its_request_appears_in_the_journal(
    page: Page, mock: C1Mock
) -> None:
    bridge = mock.create_bridge("office network")
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    page.locator("#fault-operation").fill("CreateBridgeCredential")
    page.locator("#fault-status").fill("503")
    page.locator("#fault-retry-after").fill("1")
    page.get_by_role("button", name="Arm fault").click()
    expect(page.locator("#faults tbody tr")).to_contain_text("CreateBridgeCredential5031")
    assert [(f["operation"], f["status"]) for f in mock.faults()] == [
        ("CreateBridgeCredential", 503)
    ]

    minted = mock.client.post(
        f"{BRIDGES}/{bridge['id']}/credentials", json={}, headers=mock.admin_headers()
    )
    assert minted.status_code == 503

    newest = page.locator("#journal tbody tr").first
    expect(newest).to_contain_text("CreateBridgeCredential")
    expect(newest.locator("td[data-label=Status]")).to_have_text("503")
    expect(page.locator("#no-faults")).to_be_visible()  # its one request is used
    page.locator("#filter-status").fill("503")
    expect(page.locator("#journal tbody tr")).to_have_count(1)
    page.locator("#filter-status").fill("")
    page.locator("#filter-operation").fill("CreateBridge")
    expect(page.locator("#journal tbody tr")).to_have_count(1)  # the bridge, not the mint
    assert page.evaluate("window.sameDocument") is True


def test_a_refused_fault_shows_the_servers_message_and_clear_removes_armed_ones(
    page: Page, mock: C1Mock
) -> None:
    page.locator("#fault-operation").fill("NoSuchOperation")
    page.get_by_role("button", name="Arm fault").click()
    expect(page.locator("#message")).to_have_text(
        "400: operation: unknown operation 'NoSuchOperation'"
    )

    mock.fault("token", status=400, times=3, error="invalid_grant")
    expect(page.locator("#faults tbody tr")).to_contain_text("token4003")
    page.get_by_role("button", name="Clear faults").click()
    expect(page.locator("#no-faults")).to_be_visible()
    assert mock.faults() == []


# --- seeding and reset ---------------------------------------------------------------------------


def test_a_bad_seed_document_shows_the_servers_error(page: Page, mock: C1Mock) -> None:
    document = "bridges:\n  - description: no name\n"
    answer = mock.client.post(
        "/_mock/seed", content=document, headers={"Content-Type": "application/yaml"}
    )
    assert answer.status_code == 400

    page.locator("#seed-text").fill(document)
    page.get_by_role("button", name="Seed", exact=True).click()

    result = page.locator("#seed-result")
    expect(result).to_have_text(f"400: {answer.json()['message']}")
    expect(result).to_contain_text("bridges[0].displayName")
    assert mock.state()["bridges"] == []


def test_an_uploaded_seed_document_is_applied(page: Page, mock: C1Mock, tmp_path: Path) -> None:
    secret = mock.new_secret()
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        "bridges:\n"
        "  - displayName: seeded\n"
        "    credentials:\n"
        f"      - {{id: clever-fox-42195, clientSecret: '{secret}'}}\n"
    )

    page.locator("#seed-file").set_input_files(str(seed))
    expect(page.locator("#seed-text")).to_have_value(seed.read_text())
    page.get_by_role("button", name="Seed", exact=True).click()

    expect(page.locator("#seed-result")).to_have_text(
        "Seeded 1 bridge, 1 credential and 0 admin clients."
    )
    _choose(page, "seeded")
    expect(page.locator("#active-now")).to_contain_text("clever-fox-42195@")
    for part in ("#bridges-panel", "#timeline-panel", "#seed-result"):
        assert secret not in page.locator(part).inner_text()


def test_reset_from_the_page_asks_once_more_then_empties_the_server(
    page: Page, mock: C1Mock
) -> None:
    mock.create_bridge("office network")
    expect(page.locator("#bridges tbody tr")).to_have_count(1)

    page.get_by_role("button", name="Reset…").click()
    page.get_by_role("button", name="Reset", exact=True).click()

    expect(page.locator("#no-bridges")).to_be_visible()
    assert mock.state()["bridges"] == []


# --- the control token ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server whose control plane needs C1MOCK_CONTROL_TOKEN."""
    tmp_path = tmp_path_factory.mktemp("ui-guarded")
    with _serve(tmp_path, C1MOCK_CONTROL_TOKEN=CONTROL_TOKEN) as process:
        yield process


def test_with_a_control_token_the_page_asks_for_it_and_keeps_it_for_the_tab_only(
    browser: Browser, guarded: ServerProcess
) -> None:
    with httpx.Client(base_url=guarded.url) as client:
        C1Mock(client, admin_client_id=ADMIN_ID, admin_client_secret=ADMIN_SECRET).create_bridge(
            "behind a token"
        )
    with _opened(browser, guarded.url) as page:
        expect(page.locator("#token-panel")).to_be_visible()
        expect(page.locator("#main")).to_be_hidden()

        page.locator("#token").fill("not the token")
        page.get_by_role("button", name="Use token").click()
        expect(page.locator("#token-error")).to_have_text(
            "401: the control plane needs its control token (the token was not accepted)"
        )

        page.locator("#token").fill(CONTROL_TOKEN)
        page.get_by_role("button", name="Use token").click()
        expect(page.locator("#bridges tbody tr")).to_contain_text("behind a token")
        assert page.evaluate("sessionStorage.length") == 1
        assert page.evaluate("localStorage.length") == 0
        assert page.context.cookies() == []

        other_tab = page.context.new_page()
        other_tab.goto(f"{guarded.url}/_mock/ui")
        expect(other_tab.locator("#token-panel")).to_be_visible()


# --- layout --------------------------------------------------------------------------------------


def _busy(mock: C1Mock) -> None:
    """A state with something in every part of the page."""
    office = mock.create_bridge("office network", "the main office's bridge")
    for _ in range(3):
        mock.mint(office["id"])
    mock.set_appliance(office["id"])
    # A long name without spaces, which must wrap rather than widen the page.
    mock.create_bridge("ci-runners.eu-west-1.build-farm.internal.example.com")
    mock.create_bridge("staging")
    mock.fault("CreateBridgeCredential", status=503, times=2, retry_after=1)
    mock.client.get(f"{BRIDGES}/no-such-bridge", headers=mock.admin_headers())


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (400, 800)])
def test_the_page_fits_its_window_without_scrolling_sideways(
    browser: Browser, server: ServerProcess, mock: C1Mock, width: int, height: int
) -> None:
    _busy(mock)
    with _opened(browser, server.url, width, height) as page:
        _choose(page, "office network")
        expect(page.locator("#timeline li")).to_have_count(5)
        expect(page.locator("#journal tbody tr").first).to_contain_text("404")

        scroll_width, client_width = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll_width <= client_width

        if width == 1280 and os.environ.get("C1MOCK_UPDATE_SCREENSHOT") == "1":
            page.screenshot(path=str(ROOT / "docs" / "ui.png"))
