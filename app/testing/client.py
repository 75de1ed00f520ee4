"""Python calls for a c1-mock server: the whole Tunnel service, tokens and client assertions as
C1's clients make them, and the control plane (reset, state, seed, clock, faults, journal,
appliance).

`C1Mock` works over any httpx.Client pointed at the server: Starlette's TestClient for the
in-process `c1_mock` fixture, a plain httpx.Client for `c1_mock_server`. `AsyncC1Mock` has the
same helpers, to be awaited, over an httpx.AsyncClient (the in-process app through
httpx.ASGITransport, or a server's URL). Usable without pytest. What each helper sends is written
once, as steps (steps.py); the two classes only run them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar, Unpack

import httpx

from . import control_steps as control
from . import steps
from . import tunnel_steps as tunnel
from .control_steps import FaultOptions
from .methods import awaited, blocking
from .steps import C1MockError, Helpers, Json, Steps

__all__ = ["AsyncC1Mock", "C1Mock", "C1MockError"]

T = TypeVar("T")


class C1Mock(Helpers):
    """The helpers over `client`, an httpx.Client whose base URL is the server. A helper whose
    request fails raises C1MockError (an AssertionError) with the status and body."""

    client: httpx.Client

    def run(self, made_of: Steps[T]) -> T:
        """Send a helper's requests over the client, one after the other; its value."""
        try:
            request = next(made_of)
            while True:
                response = self.client.request(request.method, request.path, **request.options)
                request = made_of.send(response)
        except StopIteration as done:
            value: T = done.value
            return value

    token_response = blocking(steps.token_response)
    token_for = blocking(steps.token_for)
    admin_token = blocking(steps.admin_token)
    admin_headers = blocking(steps.admin_headers)
    create_bridge = blocking(tunnel.create_bridge)
    list_bridges = blocking(tunnel.list_bridges)
    get_bridge = blocking(tunnel.get_bridge)
    update_bridge = blocking(tunnel.update_bridge)
    delete_bridge = blocking(tunnel.delete_bridge)
    mint = blocking(tunnel.mint)
    list_credentials = blocking(tunnel.list_credentials)
    revoke = blocking(tunnel.revoke)
    list_announced_services = blocking(tunnel.list_announced_services)
    reset = blocking(control.reset)
    state = blocking(control.state)
    seed = blocking(control.seed)
    clock = blocking(control.clock)
    now = blocking(control.now)
    set_time = blocking(control.set_time)
    advance = blocking(control.advance)
    freeze = blocking(control.freeze)
    unfreeze = blocking(control.unfreeze)
    real_time = blocking(control.real_time)
    fault = blocking(control.fault)
    faults = blocking(control.faults)
    clear_faults = blocking(control.clear_faults)
    clear_fault = blocking(control.clear_fault)
    requests = blocking(control.requests)
    clear_requests = blocking(control.clear_requests)
    set_appliance = blocking(control.set_appliance)

    @contextmanager
    def faulted(self, operation: str, **options: Unpack[FaultOptions]) -> Iterator[Json]:
        """`fault(operation, **options)` for the block: armed on entry, and on exit cleared
        (that fault only, used up or not)."""
        armed = self.fault(operation, **options)
        try:
            yield armed
        finally:
            self.run(control.forget_fault(self, armed["id"]))

    def async_client(self) -> httpx.AsyncClient:
        """An httpx.AsyncClient for the in-process app (ASGI transport, no socket)."""
        if self.app is None:
            raise RuntimeError("async_client() is for the in-process c1_mock; use url instead")
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=self.url)

    def as_async(self, **client_options: Any) -> AsyncC1Mock:
        """The same helpers, to be awaited: an AsyncC1Mock over a new httpx.AsyncClient (the
        in-process app's ASGI transport, or this server's URL with `client_options`). Close it
        with `await helpers.aclose()` or `async with`."""
        if self.app is not None:
            client = self.async_client()
        else:
            client = httpx.AsyncClient(base_url=self.url, **client_options)
        return AsyncC1Mock(
            client,
            admin_client_id=self.admin_client_id,
            admin_client_secret=self.admin_client_secret,
            control_token=self.control_token,
            url=self.url,
            resetter=self._resetter,
            tenant_domain=self.tenant_domain,
        )


class AsyncC1Mock(Helpers):
    """The helpers of C1Mock, to be awaited, over `client`, an httpx.AsyncClient whose base URL
    is the server (for the in-process app: `transport=httpx.ASGITransport(app=app)`)."""

    client: httpx.AsyncClient

    async def run(self, made_of: Steps[T]) -> T:
        """Send a helper's requests over the client, one after the other; its value."""
        try:
            request = next(made_of)
            while True:
                response = await self.client.request(
                    request.method, request.path, **request.options
                )
                request = made_of.send(response)
        except StopIteration as done:
            value: T = done.value
            return value

    async def aclose(self) -> None:
        """Close the client."""
        await self.client.aclose()

    async def __aenter__(self) -> AsyncC1Mock:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    token_response = awaited(steps.token_response)
    token_for = awaited(steps.token_for)
    admin_token = awaited(steps.admin_token)
    admin_headers = awaited(steps.admin_headers)
    create_bridge = awaited(tunnel.create_bridge)
    list_bridges = awaited(tunnel.list_bridges)
    get_bridge = awaited(tunnel.get_bridge)
    update_bridge = awaited(tunnel.update_bridge)
    delete_bridge = awaited(tunnel.delete_bridge)
    mint = awaited(tunnel.mint)
    list_credentials = awaited(tunnel.list_credentials)
    revoke = awaited(tunnel.revoke)
    list_announced_services = awaited(tunnel.list_announced_services)
    reset = awaited(control.reset)
    state = awaited(control.state)
    seed = awaited(control.seed)
    clock = awaited(control.clock)
    now = awaited(control.now)
    set_time = awaited(control.set_time)
    advance = awaited(control.advance)
    freeze = awaited(control.freeze)
    unfreeze = awaited(control.unfreeze)
    real_time = awaited(control.real_time)
    fault = awaited(control.fault)
    faults = awaited(control.faults)
    clear_faults = awaited(control.clear_faults)
    clear_fault = awaited(control.clear_fault)
    requests = awaited(control.requests)
    clear_requests = awaited(control.clear_requests)
    set_appliance = awaited(control.set_appliance)

    @asynccontextmanager
    async def faulted(self, operation: str, **options: Unpack[FaultOptions]) -> AsyncIterator[Json]:
        """`await fault(operation, **options)` for the block: armed on entry, and on exit
        cleared (that fault only, used up or not)."""
        armed = await self.fault(operation, **options)
        try:
            yield armed
        finally:
            await self.run(control.forget_fault(self, armed["id"]))
