"""An httpx transport to the in-process app, for code under test that takes an httpx client or a
transport: `httpx.Client(transport=c1_mock.transport, base_url=c1_mock.url)` reaches the same app
as `c1_mock.client`, with no socket. (httpx's own WSGITransport cannot serve an ASGI app, and
httpx.ASGITransport is for httpx.AsyncClient only: `c1_mock.async_transport` is that one.)"""

from __future__ import annotations

from typing import Any

import httpx


class TestClientTransport(httpx.BaseTransport):
    """A synchronous httpx transport that sends each request through a Starlette TestClient (the
    app in this process, with its lifespan running) and answers its response.

    The TestClient may be built on httpx or on its successor httpx2, depending on the Starlette
    version, so requests and responses cross over as plain values, never as objects."""

    __test__ = False  # a class named Test* in a pytest plugin: not a test class

    def __init__(self, client: Any) -> None:
        self._client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        answer = self._client.request(
            request.method,
            str(request.url),
            headers=request.headers.multi_items(),
            content=body or None,
            follow_redirects=False,
        )
        # The TestClient has already decoded the body.
        headers = [
            (name, value)
            for name, value in answer.headers.multi_items()
            if name.lower() != "content-encoding"
        ]
        return httpx.Response(answer.status_code, headers=headers, content=answer.content)
