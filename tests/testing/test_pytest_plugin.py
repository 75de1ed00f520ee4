"""The pytest plugin, run the way its users run it: pytest sessions of their own (pytester), with
the plugin loaded through its pytest11 entry point. The README's examples run here as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

# In-process pytest runs drop the modules they imported when they end, and httpx keeps the
# exception classes of the httpcore it first used: imported here, httpcore outlives every run, so
# httpx in this process keeps mapping its connection errors.
import httpcore  # noqa: F401
import pytest

pytest_plugins = ["pytester"]

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _readme_examples(fixture: str) -> list[str]:
    section = README.split("## Using it from your tests", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    return [b for b in blocks if "def test_" in b and f"({fixture})" in b]


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # In this process: a pytest of its own per test would cost seconds of start-up each.
    return pytester.runpytest_inprocess("-W", "error", "-p", "no:cacheprovider", *args)


def test_the_readme_examples_of_c1_mock_pass(pytester: pytest.Pytester) -> None:
    examples = _readme_examples("c1_mock")
    pytester.makepyfile(**{f"test_readme_{i}": example for i, example in enumerate(examples)})

    _run(pytester).assert_outcomes(passed=len(examples))
    assert len(examples) == 2


@pytest.mark.process
def test_the_readme_example_of_c1_mock_server_passes(pytester: pytest.Pytester) -> None:
    [example] = _readme_examples("c1_mock_server")
    pytester.makepyfile(test_readme=example)

    _run(pytester).assert_outcomes(passed=1)


FRESH_STATE = """
def test_first_makes_a_bridge_and_moves_the_clock({f}):
    {f}.create_bridge("first")
    {f}.advance(86400)
    {f}.fault("ListBridges")
    assert len({f}.state()["bridges"]) == 1

def test_second_finds_a_fresh_server({f}):
    assert {f}.state()["bridges"] == []
    assert {f}.clock()["virtual"] is False
    assert {f}.faults() == []
    assert {f}.requests() == []
    listed = {f}.client.get("/api/v1/iam/tunnel/bridges", headers={f}.admin_headers())
    assert listed.status_code == 200
"""


def test_c1_mock_gives_every_test_a_fresh_state(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(FRESH_STATE.format(f="c1_mock"))

    _run(pytester).assert_outcomes(passed=2)


@pytest.mark.process
def test_c1_mock_server_gives_every_test_a_fresh_state_of_one_process(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        FRESH_STATE.format(f="c1_mock_server")
        + """
import httpx

def test_it_is_a_real_socket_with_the_admin_client(c1_mock_server):
    form = {"grant_type": "client_credentials", "client_id": c1_mock_server.admin_client_id,
            "client_secret": c1_mock_server.admin_client_secret}
    assert httpx.post(c1_mock_server.url + "/auth/v1/token", data=form).status_code == 200
"""
    )

    _run(pytester).assert_outcomes(passed=3)


def test_c1_mock_helpers_cover_seed_appliance_faults_clock_and_the_async_client(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
import asyncio
from datetime import datetime, timezone

import pytest

from c1_mock.testing.client import C1MockError

def test_helpers(c1_mock):
    secret = c1_mock.new_secret()
    c1_mock.seed({"bridges": [{"id": "2RGdOS94VDferT9e80mdgntl36K", "displayName": "seeded",
                               "credentials": [{"id": "calm-yak-00001", "clientSecret": secret}]}]})
    client_id = "calm-yak-00001@" + c1_mock.admin_client_id.split("@")[1].replace("/spc", "/tcc")
    assert c1_mock.token_for(client_id, secret)
    services = [{"name": "web", "port": 80}]
    appliance = c1_mock.set_appliance("2RGdOS94VDferT9e80mdgntl36K", services=services)
    assert appliance["status"] == "TUNNEL_APPLIANCE_STATUS_CONNECTED"
    when = datetime(2030, 1, 1, tzinfo=timezone.utc)
    c1_mock.set_time(when, frozen=True)
    assert c1_mock.now() == when
    assert c1_mock.create_bridge()["createdAt"] == "2030-01-01T00:00:00Z"
    c1_mock.fault("token", status=401)
    with pytest.raises(C1MockError, match="401"):
        c1_mock.token_for(client_id, secret)
    assert [r["status"] for r in c1_mock.requests(operation="token", status=401)] == [401]
    c1_mock.clear_requests()
    assert c1_mock.requests() == []

def test_async_client(c1_mock):
    async def main():
        async with c1_mock.async_client() as client:
            bridges = "/api/v1/iam/tunnel/bridges"
            answer = await client.get(bridges, headers=c1_mock.admin_headers())
            return answer.status_code
    assert asyncio.run(main()) == 200
"""
    )

    _run(pytester).assert_outcomes(passed=2)


def test_c1_mock_settings_can_be_overridden_and_a_seed_makes_ids_repeat(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        """
import pytest

@pytest.fixture(scope="session")
def c1_mock_settings():
    return {"tenant_domain": "umbrella.conductor.one", "random_seed": 42}
"""
    )
    pytester.makepyfile(
        """
SEEN = []

def _made(c1_mock):
    c1_mock.set_time("2030-01-01T00:00:00Z", frozen=True)
    credential = c1_mock.mint(c1_mock.create_bridge()["id"])
    return credential["bridgeId"], credential["clientId"], credential["clientSecret"]

def test_one(c1_mock):
    SEEN.append(_made(c1_mock))
    assert SEEN[0][1].endswith("@umbrella.conductor.one/tcc")

def test_two(c1_mock):
    assert _made(c1_mock) == SEEN[0]
"""
    )

    _run(pytester).assert_outcomes(passed=2)


def test_a_developers_database_url_is_never_the_fixtures(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        """
def test_database(c1_mock):
    assert "never-touch-me" not in str(c1_mock.app.state.server.settings.database_url)
"""
    )
    monkeypatch.setenv("C1MOCK_DATABASE_URL", "sqlite:////nonexistent/never-touch-me.db")

    _run(pytester).assert_outcomes(passed=1)


def test_loading_the_plugin_imports_neither_the_app_nor_its_libraries() -> None:
    script = (
        "import sys, c1_mock.testing.plugin; "
        "heavy = ('c1_mock.main', 'sqlalchemy', 'fastapi', 'httpx', 'cryptography'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )

    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )

    assert done.stdout.strip() == "[]"


def test_a_project_with_its_own_app_package_keeps_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{"app/__init__.py": "OWN = 'the project under test'"})
    pytester.makepyfile(
        test_own_app="""
import app

def test_own_app():
    assert app.OWN == "the project under test"
"""
    )

    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_misspelled_setting_fails_naming_it_and_the_settings(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
import pytest

@pytest.fixture(scope="session")
def c1_mock_settings():
    return {"tenant_domian": "acme.conductor.one"}
"""
    )
    pytester.makepyfile("def test_it(c1_mock):\n    pass\n")

    result = _run(pytester)

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*c1_mock_settings: unknown setting 'tenant_domian' (did you mean 'tenant_domain'?)*"]
    )
    assert "seed_file" in result.stdout.str()  # the settings there are


PER_DIRECTORY = """
import pytest

@pytest.fixture(scope="session")
def c1_mock_settings():
    return {{"tenant_domain": "{tenant}"}}
"""
MINTS_FOR = """
def test_mints_for_its_own_tenant({fixture}):
    credential = {fixture}.mint({fixture}.create_bridge()["id"])
    assert credential["clientId"].endswith("@{tenant}/tcc")
    assert {fixture}.admin_client_id.endswith("@{tenant}/spc")
"""


def _two_directories(pytester: pytest.Pytester, fixture: str) -> None:
    for directory, tenant in (("alpha", "alpha.conductor.one"), ("beta", "beta.conductor.one")):
        pytester.mkdir(directory)
        (pytester.path / directory / "conftest.py").write_text(PER_DIRECTORY.format(tenant=tenant))
        test = MINTS_FOR.format(fixture=fixture, tenant=tenant)
        (pytester.path / directory / f"test_{directory}.py").write_text(test)
    default = MINTS_FOR.format(fixture=fixture, tenant="example.conductor.one")
    pytester.makepyfile(test_default=default)


def test_two_directories_with_their_own_settings_each_get_their_server(
    pytester: pytest.Pytester,
) -> None:
    _two_directories(pytester, "c1_mock")

    _run(pytester).assert_outcomes(passed=3)


@pytest.mark.process
def test_two_directories_with_their_own_settings_each_get_their_process(
    pytester: pytest.Pytester,
) -> None:
    _two_directories(pytester, "c1_mock_server")

    _run(pytester).assert_outcomes(passed=3)


SEEDED_DIRECTORY = """
import pytest

@pytest.fixture(scope="session")
def c1_mock_settings():
    return {"seed_file": "seed.yaml"}
"""


def test_a_relative_seed_file_is_read_beside_the_conftest_that_names_it(
    pytester: pytest.Pytester,
) -> None:
    for directory in ("seeded", "unseeded"):
        pytester.mkdir(directory)
        (pytester.path / directory / "conftest.py").write_text(SEEDED_DIRECTORY)
        (pytester.path / directory / f"test_{directory}.py").write_text(
            "def test_seeded(c1_mock):\n"
            "    names = [b['displayName'] for b in c1_mock.state()['bridges']]\n"
            "    assert names == ['from the seed beside conftest.py']\n"
        )
    seed = "bridges:\n  - displayName: from the seed beside conftest.py\n"
    (pytester.path / "seeded" / "seed.yaml").write_text(seed)
    (pytester.path / "seed.yaml").write_text(seed)  # in the working directory: not the one read

    result = _run(pytester)

    result.assert_outcomes(passed=1, errors=1)
    tried = pytester.path / "unseeded" / "seed.yaml"
    result.stdout.fnmatch_lines([f"*c1_mock_settings: seed_file {tried} is not a file*"])
    assert str(pytester.path / "unseeded" / "conftest.py") in result.stdout.str()


IN_PROCESS_TRANSPORTS = """
import asyncio

import httpx

from c1_mock.testing import assertions

def test_transports_reach_the_app_at_a_name_that_cannot_resolve(c1_mock):
    assert c1_mock.url == "http://c1-mock.invalid"
    credential = c1_mock.mint(c1_mock.create_bridge()["id"])
    client_id, secret = credential["clientId"], credential["clientSecret"]
    # As C1's SDKs sign for a server URL: aud = its host. Accepted whatever Host the request has.
    signed = assertions.go_sdk(client_id, secret, "c1-mock.invalid")
    with httpx.Client(transport=c1_mock.transport, base_url=c1_mock.url) as client:
        answer = client.post("/auth/v1/token", data=assertions.form(client_id, signed),
                             headers={"Host": "elsewhere.invalid"})
        assert answer.status_code == 200, answer.text
        assert isinstance(answer, httpx.Response)
        listed = client.get("/api/v1/iam/tunnel/bridges", headers=c1_mock.admin_headers())
        assert [b["id"] for b in listed.json()["list"]] == [credential["bridgeId"]]

    async def introspect():
        headers = {"Authorization": "Bearer " + answer.json()["access_token"]}
        async with httpx.AsyncClient(transport=c1_mock.async_transport,
                                     base_url=c1_mock.url) as client:
            return (await client.get("/api/v1/auth/introspect", headers=headers)).json()

    assert asyncio.run(introspect())["principleId"] == client_id
"""


def test_c1_mock_transports_reach_the_app_at_a_name_that_cannot_resolve(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(IN_PROCESS_TRANSPORTS)

    _run(pytester).assert_outcomes(passed=1)


@pytest.mark.process
def test_c1_mock_server_transports_are_plain_http(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import httpx

def test_transport(c1_mock_server):
    with httpx.Client(transport=c1_mock_server.transport, base_url=c1_mock_server.url) as client:
        answer = client.get("/api/v1/iam/tunnel/bridges", headers=c1_mock_server.admin_headers())
    assert answer.json()["list"] == []
"""
    )

    _run(pytester).assert_outcomes(passed=1)


def test_a_setting_value_that_cannot_work_fails_naming_it(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
import pytest

@pytest.fixture(scope="session")
def c1_mock_settings():
    return {"log_level": "loud"}
"""
    )
    pytester.makepyfile("def test_it(c1_mock):\n    pass\n")

    result = _run(pytester)

    result.assert_outcomes(errors=1)
    said = "C1MOCK_LOG_LEVEL (c1_mock_settings['log_level']): 'loud' is not a log level"
    assert said in result.stdout.str()
