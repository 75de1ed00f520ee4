"""Dependencies shared by the routers, declared once as Annotated aliases."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import Database
from app.errors import PermissionDenied, Unauthenticated
from app.journal import record_request
from app.services import clock, faults, tokens
from app.services.clients import ADMIN, Principal
from app.services.tokens import Signer

_READ_METHODS = {"GET", "HEAD", "OPTIONS"}

# The dependencies that touch no database are `async def`: FastAPI runs a plain `def` one in the
# thread pool, and each such hop cost about as much as a bare request (measured for `make bench`).


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_signer(request: Request) -> Signer:
    signer: Signer = request.app.state.signer
    return signer


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request, committed before the response is sent (scope="function"):
    a client never holds a secret whose row failed to commit. Requests that may write start it
    with the write lock (BEGIN IMMEDIATE on SQLite)."""
    db: Database = request.app.state.db
    with db.session(write=request.method not in _READ_METHODS) as session:
        yield session


async def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
SignerDep = Annotated[Signer, Depends(get_signer)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_now(session: SessionDep) -> datetime:
    return clock.now(session)


NowDep = Annotated[datetime, Depends(get_now)]


@dataclass(frozen=True)
class Unit:
    """What a route works with: the session, the server clock's time, and the caller (None for
    the token endpoint, whose caller authenticates inside)."""

    session: Session
    now: datetime
    principal: Principal | None = None


class Work:
    """A C1 request's unit of work, which the route (a plain `def`, run in the thread pool) opens
    itself: one session and one thread-pool hop per request, where dependencies with a session of
    their own cost three sessions and up to ten hops (measured for `make bench`). In order: the
    injected fault, if one is armed; the caller; the route's work; the journal entry; commit.
    A route that raises changes nothing and the journal middleware records its answer."""

    def __init__(self, request: Request, *, caller: str | None) -> None:
        self._request = request
        self._caller = caller  # ADMIN, ANY_CALLER or None (no bearer token)
        self._db: Database = request.app.state.db

    @contextmanager
    def begin(self) -> Iterator[Unit]:
        write = self._request.method not in _READ_METHODS
        entry = None
        with self._db.session(write=write) as session:
            fault_id = self._armed_fault(session)
            if fault_id is None:
                now = clock.now(session)
                yield Unit(session, now, self._authenticate(session, now))
                if write:  # a read transaction cannot take the write lock halfway on SQLite
                    entry = record_request(session, self._request.scope, status=200, now=now)
        if fault_id is None:
            if entry is not None:
                entry.written = True  # committed with the request's own changes
            return
        # Leave the request's session (it changed nothing) and use the fault in a transaction of
        # its own; another worker may have used its last request meanwhile: then go on as usual.
        triggered = _take(self._db, fault_id)
        if triggered is not None:
            raise faults.Fired(triggered)
        with self.begin() as unit:
            yield unit

    def _armed_fault(self, session: Session) -> int | None:
        settings: Settings = self._request.app.state.settings
        if not settings.control:
            return None
        route = self._request.scope.get("route")
        return faults.armed(session, operation_id=getattr(route, "operation_id", None) or "")

    def _authenticate(self, session: Session, now: datetime) -> Principal | None:
        """The caller behind `Authorization: Bearer <access token>`; 401 without a working one,
        403 for a tunnel credential outside Introspect."""
        if self._caller is None:
            return None
        scheme, _, token = self._request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("missing bearer token")
        signer: Signer = self._request.app.state.signer
        principal = tokens.authenticate_bearer(session, token=token.strip(), signer=signer, now=now)
        self._request.state.client_id = principal.client_id
        if self._caller == ADMIN and principal.kind != ADMIN:
            raise PermissionDenied("this credential may only call Introspect")
        return principal


def _take(db: Database, fault_id: int) -> faults.Triggered | None:
    with db.session(write=True) as session:
        return faults.take(session, fault_id=fault_id)


ANY_CALLER = "any"


async def _token_work(request: Request) -> Work:
    return Work(request, caller=None)


async def _admin_work(request: Request) -> Work:
    return Work(request, caller=ADMIN)


async def _any_work(request: Request) -> Work:
    return Work(request, caller=ANY_CALLER)


TokenWork = Annotated[Work, Depends(_token_work)]
AdminWork = Annotated[Work, Depends(_admin_work)]
AnyWork = Annotated[Work, Depends(_any_work)]
