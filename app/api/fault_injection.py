"""The router-level dependency that answers injected faults: it runs before the route's own
dependencies (before the session opens), so a faulted request changes nothing."""

from __future__ import annotations

import asyncio

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from app.api import introspect, token, tunnel
from app.db import Database
from app.errors import BY_HTTP_STATUS, ApiError, OAuthError, c1_error
from app.services import faults
from app.services.faults import Triggered

# The C1 operations and the token endpoint: routers included with `inject_fault`.
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


def _take(db: Database, operation_id: str) -> Triggered | None:
    for _ in range(3):  # another worker may use the last request of a fault between the two steps
        with db.session() as session:
            fault_id = faults.armed(session, operation_id=operation_id)
        if fault_id is None:
            return None
        with db.session(write=True) as session:
            triggered = faults.take(session, fault_id=fault_id)
        if triggered is not None:
            return triggered
    return None


async def inject_fault(request: Request) -> None:
    """Answer the next armed fault of this operation, after its delay (which does not hold the
    worker: asyncio.sleep)."""
    route = request.scope.get("route")
    operation_id: str = getattr(route, "operation_id", None) or ""
    triggered = await run_in_threadpool(_take, request.app.state.db, operation_id)
    if triggered is None:
        return
    if triggered.delay_ms:
        await asyncio.sleep(triggered.delay_ms / 1000)
    if operation_id != TOKEN_OPERATION:
        raise InjectedFault(triggered.status, triggered.retry_after)
    retry = triggered.retry_after
    headers = {} if retry is None else {"Retry-After": str(retry)}
    raise OAuthError(triggered.error, "injected fault", status=triggered.status, headers=headers)


def operations() -> set[str]:
    """What a fault may name: the operationIds of the routers that answer faults, their last
    segments (and so `token`)."""
    names = set()
    for router in FAULTY_ROUTERS:
        for route in router.routes:
            operation_id = getattr(route, "operation_id", None) or ""
            names |= {operation_id, operation_id.rsplit(".", 1)[-1]}
    return names - {""}
