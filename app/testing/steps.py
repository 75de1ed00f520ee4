"""What each helper of `C1Mock` and `AsyncC1Mock` sends, written once.

A helper is a generator of steps: it yields a `Request` (a description: method, path, httpx
options), receives the response, and returns its value. `C1Mock` runs the steps over an
httpx.Client, `AsyncC1Mock` awaits them over an httpx.AsyncClient (client.py), so the two never
differ in what they send or how they read the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from . import assertions

T = TypeVar("T")
Json = dict[str, Any]
# Yields requests, is sent their responses, returns the helper's value.
Steps = Generator["Request", httpx.Response, T]


@dataclass(frozen=True)
class Request:
    """One request a helper makes: `options` go to httpx's `request()` (json, data, params,
    content, headers)."""

    method: str
    path: str
    options: dict[str, Any] = field(default_factory=dict)


class C1MockError(AssertionError):
    """A helper's request was not answered with success: its status and body, for the report."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(
            f"{response.request.method} {response.request.url.path} -> "
            f"{response.status_code}: {response.text[:500]}"
        )
        self.response = response


class Helpers:
    """What both kinds of helpers know of the server: its URL, the admin client, the tenant
    domain (by default the admin client id's), the control token, a cached admin token, and in
    process the app and a reset without HTTP."""

    def __init__(
        self,
        client: httpx.Client | httpx.AsyncClient,
        *,
        admin_client_id: str,
        admin_client_secret: str,
        control_token: str | None = None,
        url: str = "",
        resetter: Callable[[], None] | None = None,
        tenant_domain: str | None = None,
    ) -> None:
        self.client = client  # whose base URL is the server; each subclass says which kind
        self.url = (url or str(client.base_url)).rstrip("/")
        self.admin_client_id = admin_client_id
        self.admin_client_secret = admin_client_secret
        self.tenant_domain = tenant_domain or _tenant_of(admin_client_id)
        self.control_token = control_token
        self.app: Any = None  # the ASGI app, when in-process
        # httpx transports to the server, for code under test that takes a client or a transport:
        # the pytest fixtures set them (in-process: through the app, no socket).
        self.transport: httpx.BaseTransport | None = None  # for httpx.Client
        self.async_transport: httpx.AsyncBaseTransport | None = None  # for httpx.AsyncClient
        self._resetter = resetter  # a faster reset than over HTTP, when in-process
        self._admin_token: str | None = None

    @staticmethod
    def new_secret() -> str:
        """A new client secret in C1's format, for a seed document (its key is fresh and random,
        even in deterministic mode)."""
        from ..core.crypto import new_secret
        from ..core.ids import Random

        return new_secret(Random())[0]

    @property
    def audience(self) -> str:
        """What C1's Go SDK addresses its assertions to: the tenant domain's host, no port."""
        from ..server.tls import host_of

        return host_of(self.tenant_domain)

    def assertion(self, client_id: str, secret: str, audience: str | None = None) -> str:
        """A client assertion signed with `secret` as C1's Go SDK signs it (header alg and a hex
        nonce, `aud` a one-element array, valid two minutes), for `token_for(client_id,
        assertion=...)`; `audience` defaults to the tenant domain's host."""
        return assertions.go_sdk(client_id, secret, audience or self.audience)


def _tenant_of(client_id: str) -> str:
    """`name@acme.conductor.one/spc` -> `acme.conductor.one`."""
    return client_id.partition("@")[2].rpartition("/")[0]


def ok(response: httpx.Response) -> httpx.Response:
    """The response of a success; C1MockError for anything else."""
    if response.status_code >= 300:
        raise C1MockError(response)
    return response


def _body(response: httpx.Response) -> Any:
    return ok(response).json() if response.content else None


# --- tokens ------------------------------------------------------------------------------------


def token_response(
    mock: Helpers,
    client_id: str,
    client_secret: str | None = None,
    *,
    assertion: str | None = None,
) -> Steps[httpx.Response]:
    """POST /auth/v1/token with the secret (client_secret_post) or an assertion (private_key_jwt),
    whatever the answer: its status and body are the test's to check."""
    form = {"grant_type": "client_credentials", "client_id": client_id}
    if assertion is not None:
        form |= assertions.form(client_id, assertion)
    if client_secret is not None:
        form["client_secret"] = client_secret
    response = yield Request("POST", "/auth/v1/token", {"data": form})
    return response


def token_for(
    mock: Helpers,
    client_id: str,
    client_secret: str | None = None,
    *,
    assertion: str | None = None,
) -> Steps[str]:
    """An access token for a client, from its secret or an assertion; C1MockError if refused."""
    response = yield from token_response(mock, client_id, client_secret, assertion=assertion)
    token: str = ok(response).json()["access_token"]
    return token


def admin_token(mock: Helpers) -> Steps[str]:
    """The admin client's access token (kept until a reset or a change of the clock)."""
    if mock._admin_token is None:
        mock._admin_token = yield from token_for(
            mock, mock.admin_client_id, mock.admin_client_secret
        )
    return mock._admin_token


def admin_headers(mock: Helpers) -> Steps[dict[str, str]]:
    """`Authorization: Bearer <admin token>`."""
    token = yield from admin_token(mock)
    return {"Authorization": f"Bearer {token}"}


def as_admin(mock: Helpers, method: str, path: str, **options: Any) -> Steps[Any]:
    """A C1 API call with the admin's token; its JSON answer."""
    headers = yield from admin_headers(mock)
    response = yield Request(method, path, {**options, "headers": headers})
    return _body(response)


def control_response(
    mock: Helpers, method: str, path: str, **options: Any
) -> Steps[httpx.Response]:
    """A control-plane request (/_mock/...), with the control token when there is one."""
    headers = dict(options.pop("headers", {}))
    if mock.control_token:
        headers["Authorization"] = f"Bearer {mock.control_token}"
    response = yield Request(method, f"/_mock{path}", {**options, "headers": headers})
    return response


def control(mock: Helpers, method: str, path: str, **options: Any) -> Steps[Any]:
    """A control-plane call; its JSON answer (None for 204)."""
    response = yield from control_response(mock, method, path, **options)
    return _body(response)
