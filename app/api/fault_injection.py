"""Injected faults at the API: which routes answer them, and how. The request's unit of work
(app.api.deps.Work) checks for an armed fault before anything else, so a faulted request changes
nothing."""

from __future__ import annotations

import asyncio

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from app.api import introspect, token, tunnel
from app.errors import BY_HTTP_STATUS, ApiError, OAuthError, c1_error
from app.services import faults

# The C1 operations and the token endpoint: the routers whose requests answer faults.
FAULTY_ROUTERS = (token.router, introspect.router, tunnel.router)
TOKEN_OPERATION = "token"  # noqa: S105  (the token endpoint's operationId)
# grpc-gateway's mapping for statuses outside BY_HTTP_STATUS: 504 is DEADLINE_EXCEEDED, any
# other is UNKNOWN.
_OTHER_CODES = {504: 4}


class InjectedFault(ApiError):
    """A C1 error body with any HTTP status a fault names."""

    def __init__(self, status: int, retry_after: int | None) -> None:
        super().__init__("injected fault", retry_after=retry_after)
        self.status = status

    def response(self) -> JSONResponse:
        cls = BY_HTTP_STATUS.get(self.status)
        code = cls.grpc_code if cls else _OTHER_CODES.get(self.status, 2)
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else None
        return c1_error(self.status, code, self.message, headers)


async def answer(request: Request, exc: Exception) -> Response:
    """The answer of a request an armed fault took (app.api.deps.Work), after the fault's delay,
    which does not hold the worker (asyncio.sleep)."""
    assert isinstance(exc, faults.Fired)
    triggered = exc.triggered
    if triggered.delay_ms:
        await asyncio.sleep(triggered.delay_ms / 1000)
    route = request.scope.get("route")
    if getattr(route, "operation_id", None) != TOKEN_OPERATION:
        return InjectedFault(triggered.status, triggered.retry_after).response()
    retry = triggered.retry_after
    headers = {} if retry is None else {"Retry-After": str(retry)}
    return OAuthError(
        triggered.error, "injected fault", status=triggered.status, headers=headers
    ).response()


def operations() -> set[str]:
    """What a fault may name: the operationIds of the routers that answer faults, their last
    segments (and so `token`)."""
    names = set()
    for router in FAULTY_ROUTERS:
        for route in router.routes:
            operation_id = getattr(route, "operation_id", None) or ""
            names |= {operation_id, operation_id.rsplit(".", 1)[-1]}
    return names - {""}
