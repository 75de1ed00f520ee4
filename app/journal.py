"""ASGI middleware that writes the request journal (app.services.journal) for requests to the C1
API (/api/) and the token endpoint (/auth/). It sees only the method, path, status and the
route's operationId and caller, never a body, query string or header."""

from __future__ import annotations

import logging
import time

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db import Database
from app.security import SECRET_PREFIX
from app.services import clock, journal

log = logging.getLogger("c1mock")
JOURNALED = ("/api/", "/auth/")


def _clean(value: str) -> str:
    """A client id or path as sent, unless a confused client put a secret in it."""
    if SECRET_PREFIX in value:
        return "/".join("[redacted]" if SECRET_PREFIX in p else p for p in value.split("/"))
    return value


class Journal:
    def __init__(self, app: ASGIApp, db: Database, keep: int) -> None:
        self.app = app
        self.db = db
        self.keep = keep

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(JOURNALED):
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})  # shared with request.state, where routes put the caller
        started = time.perf_counter()
        status = 0

        async def journaled_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                # Written before the last byte goes out, so a client that reads the journal
                # right after its response already finds the request there.
                latency = (time.perf_counter() - started) * 1000
                await run_in_threadpool(self._write, scope, status, latency)
            await send(message)

        await self.app(scope, receive, journaled_send)

    def _write(self, scope: Scope, status: int, latency_ms: float) -> None:
        route = scope.get("route")
        try:
            with self.db.session(write=True) as session:
                journal.record(
                    session,
                    method=scope["method"],
                    path=_clean(scope["path"]),
                    operation_id=getattr(route, "operation_id", None) or "",
                    status=status,
                    client_id=_clean(str(scope["state"].get("client_id") or "")),
                    latency_ms=latency_ms,
                    now=clock.now(session),
                    keep=self.keep,
                )
        except SQLAlchemyError as exc:  # the answer matters more than its journal entry
            log.warning("journal entry not written: %s", type(exc).__name__)
