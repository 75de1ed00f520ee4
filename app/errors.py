"""Typed errors. Services raise these; handlers in app.main render them.

ApiError subclasses carry a google.rpc.Code and the HTTP status grpc-gateway maps it to, and are
rendered as C1's `{"code", "message", "details"}` body. OAuthError is the token endpoint's own,
rendered as RFC 6749 section 5.2 JSON.
"""

from __future__ import annotations

from typing import Any, ClassVar

from fastapi.responses import JSONResponse


class ApiError(Exception):
    grpc_code: ClassVar[int] = 13
    http_status: ClassVar[int] = 500

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after

    def response(self) -> JSONResponse:
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else None
        return c1_error(self.http_status, self.grpc_code, self.message, headers)


class InvalidArgument(ApiError):
    grpc_code, http_status = 3, 400


class NotFound(ApiError):
    grpc_code, http_status = 5, 404


class AlreadyExists(ApiError):
    grpc_code, http_status = 6, 409


class PermissionDenied(ApiError):
    grpc_code, http_status = 7, 403


class ResourceExhausted(ApiError):
    grpc_code, http_status = 8, 429


class FailedPrecondition(ApiError):
    grpc_code, http_status = 9, 400


class Aborted(ApiError):
    grpc_code, http_status = 10, 409


class Unimplemented(ApiError):
    grpc_code, http_status = 12, 405


class Internal(ApiError):
    grpc_code, http_status = 13, 500


class Unavailable(ApiError):
    grpc_code, http_status = 14, 503


class Unauthenticated(ApiError):
    grpc_code, http_status = 16, 401


# HTTP status -> error class, for statuses that come from outside the services (routing, faults).
BY_HTTP_STATUS: dict[int, type[ApiError]] = {
    cls.http_status: cls
    for cls in (
        InvalidArgument,
        NotFound,
        Aborted,
        PermissionDenied,
        ResourceExhausted,
        Unimplemented,
        Internal,
        Unavailable,
        Unauthenticated,
    )
}


def c1_error(
    status: int, code: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "details": []}, status, headers)


NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    """RFC 6749 section 5.2 error from the token endpoint."""

    def __init__(
        self,
        error: str,
        description: str,
        *,
        status: int = 400,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"error": self.error, "error_description": self.description}
        return JSONResponse(body, self.status, {**NO_STORE, **self.headers})


def invalid_client(description: str = "client authentication failed") -> OAuthError:
    """RFC 6749 5.2: 401 with WWW-Authenticate. Every failed authentication looks the same."""
    return OAuthError(
        "invalid_client",
        description,
        status=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_client"'},
    )


def invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)
