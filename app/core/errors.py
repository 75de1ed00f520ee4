"""Typed errors, and the one function that renders them.

Services raise these and never an HTTP exception. Each carries its HTTP status, the google.rpc.Code
that grpc-gateway maps that status from, and the RFC 6749 section 5.2 error code it reads as on
the token endpoint. An operation declares which body its errors take (its dialect): C1's
`{"code", "message", "details"}`, or RFC 6749's `{"error", "error_description"}`.
"""

from __future__ import annotations

from enum import Enum
from typing import ClassVar

from fastapi.responses import JSONResponse

# grpc-gateway's mapping of HTTP statuses to google.rpc.Code, for errors whose status comes from
# outside a service (faults, routing); 2 UNKNOWN for any other status.
GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 409: 10, 429: 8, 499: 1, 500: 13}
GRPC_CODES |= {503: 14, 504: 4}

# Responses that carry a secret or a token (RFC 6749 section 5.1).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class Dialect(Enum):
    """The error body an operation answers with."""

    C1 = "c1"  # {"code", "message", "details"}, as grpc-gateway writes them
    OAUTH = "oauth"  # {"error", "error_description"}, RFC 6749 section 5.2


def oauth_error_for(status: int) -> str:
    """The RFC 6749 error code a status reads as when nothing more specific is known."""
    if status == 401:
        return "invalid_client"
    if status in (409, 429, 503):
        return "temporarily_unavailable"
    return "server_error" if status >= 500 else "invalid_request"


class ApiError(Exception):
    """An answer that is an error. Subclasses fix the status; `headers` go out with it."""

    status: ClassVar[int] = 500

    def __init__(
        self,
        message: str,
        *,
        retry_after: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.headers = dict(headers or {})
        if retry_after is not None:
            self.headers["Retry-After"] = str(retry_after)

    @property
    def http_status(self) -> int:
        return self.status

    @property
    def grpc_code(self) -> int:
        return GRPC_CODES.get(self.http_status, 2)

    @property
    def oauth_error(self) -> str:
        return oauth_error_for(self.http_status)


class InvalidArgument(ApiError):
    status = 400


class PayloadTooLarge(ApiError):
    """RFC 9110 413; grpc-gateway has no status of its own for it: INVALID_ARGUMENT."""

    status = 413

    @property
    def grpc_code(self) -> int:
        return 3


class UnsupportedMediaType(ApiError):
    """RFC 9110 415; grpc-gateway has no status of its own for it: INVALID_ARGUMENT."""

    status = 415

    @property
    def grpc_code(self) -> int:
        return 3


class Unauthenticated(ApiError):
    status = 401


class PermissionDenied(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class MethodNotAllowed(ApiError):
    """RFC 9110 15.5.6: the answer names the methods the resource has."""

    status = 405

    def __init__(self, allowed: list[str]) -> None:
        super().__init__("method not allowed", headers={"Allow": ", ".join(sorted(allowed))})


class Aborted(ApiError):
    """A concurrent change won the race (the database refused ours): retry."""

    status = 409


class ClientClosed(ApiError):
    """The client went away before it had sent its whole request: 499 as nginx and grpc-gateway
    (CANCELLED) write it, for the journal and the log; nobody reads the answer."""

    status = 499


class Internal(ApiError):
    status = 500


class Unavailable(ApiError):
    status = 503


class Answered(ApiError):
    """An error with any status: an injected fault, or an RFC 6749 error of the token endpoint
    with its own `error` code."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        oauth_error: str | None = None,
        retry_after: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, retry_after=retry_after, headers=headers)
        self._status = status
        self._oauth_error = oauth_error or oauth_error_for(status)

    @property
    def http_status(self) -> int:
        return self._status

    @property
    def oauth_error(self) -> str:
        return self._oauth_error


def oauth(
    error: str, description: str, *, status: int = 400, headers: dict[str, str] | None = None
) -> Answered:
    """An RFC 6749 section 5.2 error of the token endpoint."""
    return Answered(status, description, oauth_error=error, headers=headers)


def invalid_request(description: str) -> Answered:
    return oauth("invalid_request", description)


def invalid_client(description: str = "client authentication failed") -> Answered:
    """RFC 6749 5.2: 401 with WWW-Authenticate. Every failed authentication looks the same."""
    return oauth(
        "invalid_client",
        description,
        status=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_client"'},
    )


def render(error: ApiError, dialect: Dialect) -> JSONResponse:
    """The response for `error` in the operation's dialect."""
    if dialect is Dialect.OAUTH:
        body: dict[str, object] = {"error": error.oauth_error, "error_description": error.message}
        return JSONResponse(body, error.http_status, {**NO_STORE, **error.headers})
    body = {"code": error.grpc_code, "message": error.message, "details": []}
    return JSONResponse(body, error.http_status, error.headers or None)
