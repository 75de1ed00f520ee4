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

# The dependencies are `async def` and touch no database: FastAPI runs a plain `def` one in the
# thread pool, and each such hop cost about as much as a bare request (measured for `make bench`).


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_signer(request: Request) -> Signer:
    signer: Signer = request.app.state.signer
    return signer


SettingsDep = Annotated[Settings, Depends(get_settings)]
SignerDep = Annotated[Signer, Depends(get_signer)]


@dataclass(frozen=True)
class Unit:
    """What a route works with: the session, the server clock's time, and the caller (None where
    no bearer token is asked for: the token endpoint and the control plane)."""

    session: Session
    now: datetime
    principal: Principal | None = None


class Work:
    """A request's unit of work, which the route (a plain `def`, run in the thread pool) opens
    itself with `with work.begin() as unit:`. One session, committed before the response is
    built, so a client never holds a secret whose row failed to commit; requests that may write
    start it with the write lock (BEGIN IMMEDIATE on SQLite). In order: the injected fault, if
    one is armed (C1 operations and the token endpoint); the caller; the route's work; the
    journal entry; commit. A route that raises changes nothing, and the journal middleware
    records its answer.

    One session and one thread-pool hop per request, taking the write turn and giving it back in
    that one hop: dependencies with sessions of their own had cost three sessions and up to ten
    hops (2.5 times the CPU, `make bench`), and requests queued for the turn could hold every
    thread the holder needed to finish."""

    def __init__(self, request: Request, *, caller: str | None, answers_faults: bool) -> None:
        self._request = request
        self._caller = caller  # ADMIN, ANY_CALLER or None (no bearer token)
        self._answers_faults = answers_faults
        self._db: Database = request.app.state.db

    @contextmanager
    def begin(self) -> Iterator[Unit]:
        """The unit: committed when the block ends, rolled back if it raises."""
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
        if not (self._answers_faults and settings.control):
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


async def _public_work(request: Request) -> Work:
    return Work(request, caller=None, answers_faults=True)


async def _admin_work(request: Request) -> Work:
    return Work(request, caller=ADMIN, answers_faults=True)


async def _any_work(request: Request) -> Work:
    return Work(request, caller=ANY_CALLER, answers_faults=True)


async def _control_work(request: Request) -> Work:
    return Work(request, caller=None, answers_faults=False)


PublicWork = Annotated[Work, Depends(_public_work)]  # no bearer token: token endpoint, jwks
AdminWork = Annotated[Work, Depends(_admin_work)]
AnyWork = Annotated[Work, Depends(_any_work)]  # an admin or a tunnel credential
ControlWork = Annotated[Work, Depends(_control_work)]  # /_mock/: its own control token
