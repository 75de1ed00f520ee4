"""Exception handlers: every error leaves as C1's error body (or RFC 6749's from the token
endpoint), and nothing a client sends ends in a 500."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException
from starlette.routing import Match, Route

from app.api import fault_injection
from app.errors import (
    BY_HTTP_STATUS,
    Aborted,
    ApiError,
    Internal,
    InvalidArgument,
    NotFound,
    OAuthError,
    Unavailable,
    c1_error,
    invalid_request,
)
from app.services import faults

log = logging.getLogger("c1mock")


def _is_token_endpoint(request: Request) -> bool:
    return request.url.path == "/auth/v1/token"


async def api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def oauth_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OAuthError)
    return exc.response()


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "request"
    message = f"{where}: {first.get('msg', 'invalid')}"
    if _is_token_endpoint(request):
        return invalid_request(message).response()
    return InvalidArgument(message).response()


def _allowed_methods(request: Request) -> str:
    """RFC 9110 15.5.6: a 405 lists every method of the resource (Starlette's names only those
    of the first route that matched the path)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if (
            isinstance(route, Route)
            and route.methods
            and route.matches(request.scope)[0] != Match.NONE
        ):
            methods |= route.methods
    return ", ".join(sorted(methods))


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        exc.headers = {**(exc.headers or {}), "Allow": _allowed_methods(request)}
    if _is_token_endpoint(request) and exc.status_code < 500:
        return OAuthError(
            "invalid_request",
            str(exc.detail),
            status=exc.status_code,
            headers=dict(exc.headers or {}),
        ).response()
    cls = BY_HTTP_STATUS.get(exc.status_code)
    if exc.status_code == 404:
        return NotFound("not found").response()
    code = cls.grpc_code if cls else 2  # 2 UNKNOWN
    return c1_error(exc.status_code, code, str(exc.detail), dict(exc.headers or {}))


async def database_error(request: Request, exc: Exception) -> Response:
    """Lock timeouts and serialization failures: try again later. A unique violation: a
    concurrent change won the race (the partial index did its job). A value the database cannot
    hold (PostgreSQL: a NUL character, an overlong string) is the client's: 400."""
    if isinstance(exc, DataError):
        if _is_token_endpoint(request):
            return invalid_request("a parameter holds a value that is not allowed").response()
        return InvalidArgument("a value in the request is not allowed").response()
    if isinstance(exc, IntegrityError):
        error: ApiError = Aborted("the request conflicted with a concurrent change; retry it")
    else:
        log.warning(
            "database busy: %s",
            type(exc.orig).__name__ if isinstance(exc, OperationalError) else exc,
        )
        error = Unavailable("the database is busy; retry", retry_after=1)
    if _is_token_endpoint(request):
        return OAuthError(
            "temporarily_unavailable",
            error.message,
            status=error.http_status,
            headers={"Retry-After": "1"},
        ).response()
    return error.response()


async def unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error", exc_info=exc)
    return Internal("internal error").response()


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(OAuthError, oauth_error)
    app.add_exception_handler(faults.Fired, fault_injection.answer)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(IntegrityError, database_error)
    app.add_exception_handler(OperationalError, database_error)
    app.add_exception_handler(DataError, database_error)
    app.add_exception_handler(Exception, unexpected_error)
