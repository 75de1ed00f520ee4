"""ASGI middleware that writes the request journal (app.services.journal) for requests to the C1
API (/api/) and the token endpoint (/auth/). It sees only the method, path, status and the
route's operationId and caller, never a body, query string or header."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
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


def record_request(session: Session, scope: Scope, *, status: int, now: datetime) -> Pending | None:
    """Write the journal entry of the request in `scope` in `session`; None when the journal is
    off (--no-control) or not kept for this path. A request whose unit of work commits records
    itself inside it (one transaction, not two: measured for `make bench`) and then sets
    `written`, so that the middleware writes no second entry."""
    pending: Pending | None = scope.get("state", {}).get("journal")
    if pending is None:
        return None
    state = scope["state"]
    route = scope.get("route")
    journal.record(
        session,
        method=scope["method"],
        path=_clean(scope["path"]),
        operation_id=getattr(route, "operation_id", None) or "",
        status=status,
        client_id=_clean(str(state.get("client_id") or "")),
        latency_ms=(time.perf_counter() - pending.started) * 1000,
        now=now,
        keep=pending.keep,
    )
    return pending


@dataclass
class Pending:
    """A journaled request in flight."""

    started: float
    keep: int
    written: bool = False


class Journal:
    def __init__(self, app: ASGIApp, db: Database, keep: int) -> None:
        self.app = app
        self.db = db
        self.keep = keep

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(JOURNALED):
            await self.app(scope, receive, send)
            return
        # Shared with request.state, where routes put the caller and may write the entry.
        pending = scope.setdefault("state", {})["journal"] = Pending(time.perf_counter(), self.keep)
        status = 0

        async def journaled_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                # Written before the last byte goes out, so a client that reads the journal
                # right after its response already finds the request there.
                await self._write_unless_written(scope, status, pending)
            await send(message)

        await self.app(scope, receive, journaled_send)

    async def _write_unless_written(self, scope: Scope, status: int, pending: Pending) -> None:
        if not pending.written:
            await run_in_threadpool(self._write, scope, status)

    def _write(self, scope: Scope, status: int) -> None:
        try:
            with self.db.session(write=True) as session:
                record_request(session, scope, status=status, now=clock.now(session))
        except SQLAlchemyError as exc:  # the answer matters more than its journal entry
            log.warning("journal entry not written: %s", type(exc).__name__)
