"""The shipped helpers (c1_mock.testing.client), through the pytest plugin's own fixtures: each test
runs with C1Mock over the in-process app (`c1_mock`) and over a real `c1-mock serve`
(`c1_mock_server`), and again with their async twins (`as_async()`: AsyncC1Mock over an
httpx.AsyncClient), each awaited on an event loop of the test's own."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from c1_mock.testing.client import AsyncC1Mock, C1Mock, C1MockError

ACTIVE = "TUNNEL_CREDENTIAL_STATUS_ACTIVE"
REVOKED = "TUNNEL_CREDENTIAL_STATUS_REVOKED"
UNKNOWN_BRIDGE = "2RGdOS94VDferT9e80mdgntl36K"


class Awaiting:
    """An AsyncC1Mock called from a synchronous test: each helper's coroutine is awaited on one
    event loop, so that one test body checks a helper and its async twin alike."""

    def __init__(self, helpers: AsyncC1Mock, runner: asyncio.Runner) -> None:
        self.helpers, self.runner = helpers, runner

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.helpers, name)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            answer = value(*args, **kwargs)
            return self.runner.run(answer) if inspect.iscoroutine(answer) else answer

        return call

    @contextmanager
    def faulted(self, operation: str, **options: Any) -> Iterator[dict[str, Any]]:
        manager = self.helpers.faulted(operation, **options)
        fault = self.runner.run(manager.__aenter__())
        try:
            yield fault
        except BaseException as exc:
            self.runner.run(manager.__aexit__(type(exc), exc, exc.__traceback__))
            raise
        self.runner.run(manager.__aexit__(None, None, None))


@pytest.fixture(
    params=[
        "in-process",
        "in-process, async",
        pytest.param("server", marks=pytest.mark.process),
        pytest.param("server, async", marks=pytest.mark.process),
    ]
)
def helpers(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The helpers, with a fresh server state."""
    where, _, mode = request.param.partition(", ")
    mock: C1Mock = request.getfixturevalue("c1_mock" if where == "in-process" else "c1_mock_server")
    if not mode:
        yield mock
        return
    with asyncio.Runner() as runner:
        twin = mock.as_async()
        try:
            yield Awaiting(twin, runner)
        finally:
            runner.run(twin.aclose())


def test_the_tunnel_helpers_call_every_operation_of_the_service(helpers: Any) -> None:
    office = helpers.create_bridge("office", "first floor")
    lab = helpers.create_bridge("lab")

    assert [b["id"] for b in helpers.list_bridges()] == [office["id"], lab["id"]]
    renamed = helpers.update_bridge(lab["id"], display_name="lab 2")
    assert (renamed["displayName"], renamed["description"]) == ("lab 2", "")
    assert helpers.get_bridge(lab["id"]) == renamed
    first, second = helpers.mint(office["id"]), helpers.mint(office["id"])
    listed = {c["id"]: c["credentialStatus"] for c in helpers.list_credentials(office["id"])}
    assert listed == {first["id"]: REVOKED, second["id"]: ACTIVE}
    helpers.revoke(second["id"])
    assert {c["credentialStatus"] for c in helpers.list_credentials(office["id"])} == {REVOKED}
    helpers.set_appliance(office["id"], services=[{"name": "web", "port": 443}])
    assert [s["name"] for s in helpers.list_announced_services(office["id"])] == ["web"]
    helpers.delete_bridge(office["id"])
    assert [b["id"] for b in helpers.list_bridges()] == [lab["id"]]


def test_the_list_helpers_return_every_page(helpers: Any) -> None:
    credentials = [{"clientSecret": helpers.new_secret(), "status": REVOKED} for _ in range(100)]
    bridges = [{"displayName": f"bridge {i:03d}"} for i in range(149)]
    helpers.seed({"bridges": [{"displayName": "busy", "credentials": credentials}, *bridges]})
    [busy] = [b for b in helpers.list_bridges() if b["displayName"] == "busy"]
    helpers.mint(busy["id"])
    helpers.clear_requests()

    assert len(helpers.list_bridges()) == 150
    assert len(helpers.list_credentials(busy["id"])) == 101

    pages = [r["operationId"].rsplit(".", 1)[1] for r in helpers.requests()]
    assert pages == ["ListBridges"] * 2 + ["ListBridgeCredentials"] * 2


def test_token_response_answers_what_token_for_raises_for(helpers: Any) -> None:
    credential = helpers.mint(helpers.create_bridge()["id"])
    client_id = credential["clientId"]

    refused = helpers.token_response(client_id, "secret-token:conductorone.com:v1:wrong")
    with pytest.raises(C1MockError) as raised:
        helpers.token_for(client_id, "secret-token:conductorone.com:v1:wrong")
    issued = helpers.token_response(client_id, credential["clientSecret"])

    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_client")
    assert raised.value.response.status_code == 401
    assert (issued.status_code, issued.json()["token_type"]) == (200, "Bearer")


def test_assertion_is_signed_as_c1s_go_sdk_signs_it_for_the_tenant_domains_host(
    helpers: Any,
) -> None:
    credential = helpers.mint(helpers.create_bridge()["id"])
    client_id, secret = credential["clientId"], credential["clientSecret"]

    assertion = helpers.assertion(client_id, secret)

    header = jwt.get_unverified_header(assertion)
    assert header.keys() == {"alg", "nonce"} and header["alg"] == "EdDSA"
    assert len(header["nonce"]) == 32 and int(header["nonce"], 16) >= 0
    claims = jwt.decode(assertion, options={"verify_signature": False})
    assert claims.keys() == {"iss", "sub", "aud", "iat", "nbf", "exp"}
    assert (claims["iss"], claims["sub"], claims["aud"]) == (
        client_id,
        client_id,
        ["example.conductor.one"],
    )
    assert helpers.token_for(client_id, assertion=assertion)
    replayed = helpers.token_response(client_id, assertion=assertion)
    elsewhere = helpers.assertion(client_id, secret, audience="evil.example")
    assert helpers.token_response(client_id, assertion=elsewhere).status_code == 401
    assert replayed.status_code == 401


@pytest.mark.parametrize(
    ("admin_client_id", "tenant_domain", "audience"),
    [
        ("robot@127.0.0.1:8443/spc", None, "127.0.0.1"),
        ("robot@[::1]:9443/spc", None, "::1"),
        ("robot@acme.conductor.one/spc", None, "acme.conductor.one"),
        ("robot@acme.conductor.one/spc", "10.0.0.5:8443", "10.0.0.5"),
    ],
)
def test_the_default_audience_is_the_tenant_domains_host_without_its_port(
    admin_client_id: str, tenant_domain: str | None, audience: str
) -> None:
    secret = C1Mock.new_secret()
    made = [
        kind(
            client,
            admin_client_id=admin_client_id,
            admin_client_secret=secret,
            tenant_domain=tenant_domain,
        )
        for kind, client in ((C1Mock, httpx.Client()), (AsyncC1Mock, httpx.AsyncClient()))
    ]

    for mock in made:
        claims = jwt.decode(mock.assertion("a@b/tcc", secret), options={"verify_signature": False})
        assert claims["aud"] == [audience] == [mock.audience]


def test_faulted_arms_a_fault_for_the_block_and_clears_only_it(helpers: Any) -> None:
    bridge = helpers.create_bridge()
    other = helpers.fault("ListBridges", times=3)

    with helpers.faulted("CreateBridgeCredential", status=503, retry_after=1) as fault:
        assert (fault["operation"], fault["retryAfter"]) == ("CreateBridgeCredential", 1)
        with pytest.raises(C1MockError, match="503"):
            helpers.mint(bridge["id"])
        with helpers.faulted("GetBridge", times=2):
            assert len(helpers.faults()) == 2  # the used-up one is no longer listed

    assert helpers.faults() == [other]
    assert helpers.mint(bridge["id"])["credentialStatus"] == ACTIVE
    with pytest.raises(RuntimeError), helpers.faulted("GetBridge", times=5):
        raise RuntimeError("the block failed")
    with helpers.faulted("GetBridge"):
        helpers.clear_faults()  # gone before the block ends: nothing left to clear
    assert helpers.faults() == []


def test_clear_fault_clears_one_fault(helpers: Any) -> None:
    first, second = helpers.fault("ListBridges"), helpers.fault("token", status=401)

    helpers.clear_fault(first["id"])

    assert helpers.faults() == [second]
    with pytest.raises(C1MockError, match="404"):
        helpers.clear_fault(first["id"])


def test_the_clock_helpers_move_the_servers_time(helpers: Any) -> None:
    when = datetime(2030, 1, 1, tzinfo=UTC)

    assert helpers.set_time(when, frozen=True)["frozen"] is True
    assert helpers.now() == when
    helpers.advance(timedelta(minutes=1))
    assert helpers.now() == when + timedelta(minutes=1)
    assert helpers.create_bridge()["createdAt"] == "2030-01-01T00:01:00Z"  # a new admin token
    assert helpers.unfreeze()["frozen"] is False
    assert helpers.freeze()["frozen"] is True
    assert helpers.clock()["virtual"] is True
    assert helpers.real_time()["virtual"] is False


def test_seed_state_and_reset(helpers: Any) -> None:
    secret = helpers.new_secret()
    seeded = helpers.seed(
        {"bridges": [{"displayName": "seeded", "credentials": [{"clientSecret": secret}]}]}
    )
    client_id = seeded["credentials"][0]["clientId"]

    assert helpers.token_for(client_id, secret)
    assert [b["displayName"] for b in helpers.state()["bridges"]] == ["seeded"]
    helpers.reset()
    assert helpers.state()["bridges"] == []
    assert helpers.token_response(client_id, secret).status_code == 401


def test_the_journal_helpers_filter_and_clear_it(helpers: Any) -> None:
    helpers.create_bridge()
    with pytest.raises(C1MockError):
        helpers.get_bridge(UNKNOWN_BRIDGE)

    assert [r["status"] for r in helpers.requests(operation="CreateBridge")] == [200]
    assert [r["path"] for r in helpers.requests(status=404)] == [
        f"/api/v1/iam/tunnel/bridges/{UNKNOWN_BRIDGE}"
    ]
    helpers.clear_requests()
    assert helpers.requests() == []


def test_admin_headers_carry_the_kept_admin_token(helpers: Any) -> None:
    token = helpers.admin_token()

    assert helpers.admin_headers() == {"Authorization": f"Bearer {token}"}
    assert helpers.admin_token() == token
    assert len(helpers.requests(operation="token")) == 1


def test_a_failed_helper_raises_c1mock_error_with_the_status_and_body(helpers: Any) -> None:
    with pytest.raises(C1MockError) as raised:
        helpers.get_bridge(UNKNOWN_BRIDGE)

    assert isinstance(raised.value, AssertionError)
    assert f"GET /api/v1/iam/tunnel/bridges/{UNKNOWN_BRIDGE} -> 404" in str(raised.value)
    assert raised.value.response.json() == {"code": 5, "message": "bridge not found", "details": []}


def test_async_helpers_are_coroutines_that_run_concurrently(c1_mock: C1Mock) -> None:
    async def main() -> tuple[list[Any], list[Any]]:
        async with c1_mock.as_async() as helpers:
            pending = helpers.create_bridge("async")
            assert inspect.iscoroutine(pending)
            await pending
            made = await asyncio.gather(*(helpers.create_bridge(f"b{i}") for i in range(5)))
            return made, await helpers.list_bridges()

    made, listed = asyncio.run(main())

    assert {b["id"] for b in made} < {b["id"] for b in listed}
    assert len(listed) == 6


def test_help_shows_each_helpers_signature_and_docstring() -> None:
    for kind in (C1Mock, AsyncC1Mock):
        update: Callable[..., Any] = kind(
            httpx.Client() if kind is C1Mock else httpx.AsyncClient(),
            admin_client_id="a@b/spc",
            admin_client_secret="x",
        ).update_bridge
        returns = "Json" if kind is C1Mock else "Coroutine[Any, Any, Json]"
        assert str(inspect.signature(update)) == (
            "(bridge_id: 'str', *, display_name: 'str | None' = None, "
            f"description: 'str | None' = None) -> '{returns}'"
        )
        assert update.__doc__ and "UpdateBridge" in update.__doc__
