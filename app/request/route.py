"""The one way a request runs: the route every registered operation is mounted with.

For each request it reads the body (413 over the limit), checks the control token of a CONTROL
operation (and refuses a change to the control plane sent by another origin's page), lets
FastAPI parse and validate the arguments, runs the operation's unit of work (request/unit.py), and
renders the answer, or the error in the operation's dialect. A request
refused before its unit ran (its body or arguments) is journaled here. Requests no operation
serves get one too: 405 naming the methods of a path that exists, 404 otherwise, so that every
request to C1's namespaces reaches the journal.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import time
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core import ids
from ..core.crypto import constant_time_equals
from ..core.errors import (
    NO_STORE,
    Answered,
    ApiError,
    ClientClosed,
    Dialect,
    Internal,
    InvalidArgument,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    Unauthenticated,
    render,
)
from ..oauth import form
from . import log as requests_log
from .operations import Caller, Operation, Registry
from .unit import Facts, Later, Outcome, Server, Unit, entry, journal_alone, run

log = logging.getLogger("c1mock")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT")
# C1's namespaces: requests there are journaled even when no operation serves them.
C1_NAMESPACES = ("/api", "/auth")
# When the request came in (perf_counter for its latency, time for the journal's order): set by
# the route's handler, read by the endpoint it calls in the same task.
_started: ContextVar[tuple[float, float]] = ContextVar("c1mock_started")


class OperationRoute(APIRoute):
    """An APIRoute that runs its operation's policy around FastAPI's own handling."""

    def __init__(self, operation: Operation) -> None:
        self.operation = operation
        super().__init__(
            operation.path,
            _endpoint(operation),
            methods=[operation.method] if operation.method != "*" else list(METHODS),
            operation_id=operation.operation_id or None,
            tags=list(operation.tags),
            dependencies=list(operation.dependencies),
            status_code=operation.status_code,
            response_model=None,
            include_in_schema=bool(operation.operation_id),
        )

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        operation = self.operation

        async def handle(request: Request) -> Response:
            _started.set((time.perf_counter(), time.time()))
            body = b""
            server: Server = request.app.state.server
            try:
                request, body = await _with_body(request, server.settings.max_body_size)
                _check_parameters(request)
                if operation.caller is Caller.CONTROL:
                    _check_control_token(request, server.settings.control_token)
                    if operation.writes:
                        _refuse_cross_origin(request)
                return await handler(request)
            except (ApiError, RequestValidationError, HTTPException, ClientDisconnect) as exc:
                error = _refusal(exc)
            outcome, facts = Outcome(error=error), _facts(request, body)
            await run_in_threadpool(journal_alone, server, operation, facts, outcome)
            if requests_log.enabled():
                requests_log.request(entry(server, operation, facts, outcome))
            return render(error, operation.dialect)

        return handle


def _endpoint(operation: Operation) -> Callable[..., Coroutine[Any, Any, Response]]:
    """The function FastAPI calls with the operation's parsed arguments: it runs the unit of
    work in the thread pool, then answers. Its signature is the operation's without `unit`, and
    with the request (FastAPI hands it to one parameter only: the operation's own, if it has
    one)."""
    function = operation.function
    signature = inspect.signature(function, eval_str=True)
    parameters = [p for name, p in signature.parameters.items() if name != "unit"]
    own = next((p.name for p in parameters if p.annotation is Request), None)
    name = own or "c1mock_request"

    async def endpoint(**arguments: Any) -> Response:
        request: Request = arguments[name] if own else arguments.pop(name)
        server: Server = request.app.state.server
        call = functools.partial(function, **arguments)
        facts = _facts(request, await request.body())  # read before: FastAPI keeps it
        outcome = await run(server, operation, facts, call)
        if outcome.delay_ms:  # an injected fault's delay, which does not hold a thread
            await asyncio.sleep(outcome.delay_ms / 1000)
        answer = Dropped() if outcome.dropped else _answer(operation, outcome)
        if requests_log.enabled():
            requests_log.request(entry(server, operation, facts, outcome))
        return answer

    if own is None:
        parameters.append(
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=Request)
        )
    keyword = [p for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY]
    positional = [p for p in parameters if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    endpoint.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*positional, *keyword], return_annotation=inspect.Signature.empty
    )
    return endpoint


def _facts(request: Request, body: bytes) -> Facts:
    authorization = request.headers.get("authorization", "")
    started, arrived = _started.get((time.perf_counter(), time.time()))
    return Facts(
        method=request.method,
        path=_path(request.scope),
        authorization=authorization,
        started=started,
        arrived=arrived,
        bridge_id=next((v for v in request.path_params.values() if ids.is_ksuid(v)), ""),
        name_client=lambda: _named_client(request, authorization, body),
        body=body,
        content_type=request.headers.get("content-type", ""),
        address=request.client.host if request.client else "",
    )


def _path(scope: Scope) -> str:
    """The path as sent, as `request.url.path` reads it, without building the whole URL (its host
    header parsed) for every request."""
    path: str = scope["path"]
    return path.replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")


def _named_client(request: Request, authorization: str, body: bytes) -> str:
    """The client a request names, for faults to match: a bearer token's subject (its signature
    checked, not its validity) or the client_id of a token request's form."""
    server: Server = request.app.state.server
    if not server.settings.control:
        return ""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer":
        named = server.signer.subject(token.strip())
    else:
        named = form.client_named(body, request.headers.get("content-type", ""))
    return named if ids.is_client_id(named) else ""  # a fault names no other


class Dropped(Response):
    """No answer: the connection is closed (an injected fault's). It sends nothing and marks the
    request's scope, which the app's outermost layer (main.py's DropConnections) reads."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[DROP] = True


DROP = "c1mock.drop"


class DropConnections:
    """The served app's outermost layer: a request answered by `Dropped` gets no answer at all.
    An ASGI app cannot close its connection; uvicorn closes it, sending nothing, when the app
    returns something other than None (its logging filter keeps that quiet: request/log.py).
    In-process (Starlette's TestClient) there is no connection, and the client raises."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> str | None:
        await self.app(scope, receive, send)
        return requests_log.DROPPED_BY_FAULT if scope.get(DROP) else None


def _answer(operation: Operation, outcome: Outcome) -> Response:
    if outcome.error is not None:
        return render(outcome.error, operation.dialect)
    value = outcome.value.finish() if isinstance(outcome.value, Later) else outcome.value
    if isinstance(value, Response):
        return value
    headers = NO_STORE if operation.no_store else None
    if operation.status_code == 204:
        return Response(status_code=204, headers=headers)
    return JSONResponse(value, operation.status_code, headers)


async def _with_body(request: Request, limit: int) -> tuple[Request, bytes]:
    """The request with its whole body read: 413 over `limit` bytes, announced by Content-Length
    or not (chunked: counted as it comes). FastAPI reads it again from memory."""
    length = request.headers.get("content-length")
    if length is not None:
        if not length.isdigit() or int(length) > limit:
            raise PayloadTooLarge("request body too large")
        # The server reads no more than Content-Length; the request keeps what it read.
        return request, await request.body()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge("request body too large")
        chunks.append(chunk)
    body, receive, sent = b"".join(chunks), request.receive, False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, replay), body


def _check_parameters(request: Request) -> None:
    """A path parameter with control characters names nothing (404 on every backend); a query
    parameter is given once (grpc-gateway refuses more values for a field that is no list)."""
    if not all(str(value).isprintable() for value in request.path_params.values()):
        raise NotFound("not found")
    names = [name for name, _ in request.query_params.multi_items()]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InvalidArgument(f"query parameter {repeated[0]} is given more than once")


def _check_control_token(request: Request, token: str | None) -> None:
    if token is None:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not constant_time_equals(given.strip(), token):
        raise Unauthenticated("the control plane needs its control token")


def _refuse_cross_origin(request: Request) -> None:
    """A web page of any origin can make a browser post a form (or a no-cors fetch) to a server
    on the user's machine without a CORS preflight, so a change to the control plane that the
    browser marks as another origin's (Fetch Metadata's Sec-Fetch-Site, else Origin) is refused.
    Clients other than browsers send neither header."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        allowed = site in ("same-origin", "none")  # "none": the user's own navigation
    else:
        origin = request.headers.get("origin")
        host = request.headers.get("host", "").lower()
        allowed = origin is None or urlsplit(origin.lower()).netloc == host
    if not allowed:
        raise PermissionDenied("the control plane takes no changes from another origin's page")


def _refusal(exc: Exception) -> ApiError:
    """What a request refused before its unit ran answers."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "request"
        message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        return InvalidArgument(f"{where}: {message}")
    if isinstance(exc, ClientDisconnect):
        return ClientClosed("the client closed the connection before its request was complete")
    assert isinstance(exc, HTTPException)
    return InvalidArgument(str(exc.detail))


# --- mounting ------------------------------------------------------------------------------


def mount(app: FastAPI, registry: Registry) -> None:
    """Every registered operation; for each path, one answering 405 for the methods it does not
    serve; then 404 for whatever else comes to C1's namespaces. The inline operations (the hot
    ones) come first: a request is matched against the routes in order."""
    paths: dict[str, list[Operation]] = {}
    for operation in sorted(registry, key=lambda operation: not operation.inline):
        app.router.routes.append(OperationRoute(operation))
        paths.setdefault(operation.path, []).append(operation)
    for path, served in paths.items():
        app.router.routes.append(OperationRoute(_method_not_allowed(path, served)))
    for namespace in C1_NAMESPACES:
        app.router.routes.append(OperationRoute(_not_found(namespace)))


def _method_not_allowed(path: str, served: list[Operation]) -> Operation:
    allowed = [operation.method for operation in served]

    def refuse(unit: Unit) -> None:
        raise MethodNotAllowed(allowed)

    first = served[0]
    return Operation(
        method="*",
        path=path,
        operation_id="",
        function=refuse,
        caller=Caller.PUBLIC,
        c1=any(operation.c1 for operation in served),
        dialect=first.dialect,
    )


def _not_found(namespace: str) -> Operation:
    def refuse(unit: Unit) -> None:
        raise NotFound("not found")

    return Operation(
        method="*",
        path=namespace + "/{path:path}",
        operation_id="",
        function=refuse,
        caller=Caller.PUBLIC,
        c1=True,
    )


async def not_found(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 (a path outside C1's namespaces that nothing serves), and any HTTP
    error raised outside the operations, in C1's body."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return render(NotFound("not found"), Dialect.C1)
    error = Answered(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))
    return render(error, Dialect.C1)


async def internal_error(request: Request, exc: Exception) -> Response:
    """A bug outside any unit of work: logged, and 500 in C1's body rather than plain text."""
    log.error("unexpected error", exc_info=exc)
    return render(Internal("internal error"), Dialect.C1)
