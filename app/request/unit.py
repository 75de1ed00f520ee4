"""A request's unit of work: its operation runs in one session and one transaction, committed before
the response is built, so a client is never shown a secret whose row failed to commit.

In order, in one thread and one transaction: the injected fault, if one is armed for the
operation; the server clock; the caller the operation's policy asks for; the operation itself; its
journal entry; commit. An operation that raises changes nothing: its transaction rolls back, and
the journal entry of its error is written in a new one. One that returns an error answers it and
keeps its changes (a failed client authentication is counted by the brute-force guard). A unit
that may write takes the SQLite write turn first, and gives it back when it ends. Where a unit
runs (which thread) is request/route.py's choice, not this module's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..config import Settings
from ..control import clock, faults, journal
from ..core.db import WRITE, Database, error_of
from ..core.errors import Answered, ApiError, Internal, PermissionDenied, Unauthenticated
from ..core.ids import Random
from ..oauth.bearer import authenticate
from ..oauth.clients import Principal
from ..oauth.signer import Signer
from .operations import Caller, Operation, Registry

log = logging.getLogger("c1mock")
DROPPED = 444


@dataclass(frozen=True)
class Server:
    """What every request of one app shares, made once per app (in each worker process)."""

    settings: Settings
    db: Database
    signer: Signer
    random: Random
    registry: Registry


@dataclass(frozen=True)
class Facts:
    """What a unit knows of its request, read on the event loop before it runs."""

    method: str
    path: str
    authorization: str  # the Authorization header, "" when absent
    started: float  # time.perf_counter() when the request came in
    arrived: float  # time.time() then: the journal's order
    # What a fault may match: the bridge the path names, and the client the request names (the
    # bearer token's, or the token request's client_id), authenticated or not.
    bridge_id: str = ""
    client_id: str = ""


@dataclass
class Unit:
    """What an operation works with: the session, the server clock's time, the app's random
    source, settings and signer, and the caller its policy authenticated (None for PUBLIC and
    CONTROL operations)."""

    session: Session
    now: datetime
    server: Server
    caller: Principal | None = None
    # The client the journal names: the caller, or for the token endpoint the client it asked for.
    client_id: str = ""

    @property
    def settings(self) -> Settings:
        return self.server.settings

    @property
    def random(self) -> Random:
        return self.server.random

    @property
    def principal(self) -> Principal:
        """The authenticated caller of an ADMIN or CLIENT operation."""
        assert self.caller is not None, "only ADMIN and CLIENT operations have a caller"
        return self.caller


@dataclass(frozen=True)
class Outcome:
    """What a unit came to: the operation's value, or the error to answer (after `delay_ms`, for
    an injected fault), and the client the journal names."""

    value: Any = None
    error: ApiError | None = None
    delay_ms: int = 0
    fault: bool = False
    dropped: bool = False  # an injected fault's: no answer at all
    client_id: str = ""

    def status(self, operation: Operation) -> int:
        return operation.status_code if self.error is None else self.error.http_status


def execute(
    server: Server, operation: Operation, facts: Facts, call: Callable[[Unit], Any]
) -> Outcome:
    """Run `call` as `operation` (blocking: the caller chooses the thread)."""
    delayed = 0  # the delay of a fault that only delays: the unit runs, faults are not checked
    while True:
        armed, outcome = _attempt(server, operation, facts, call, delayed=delayed)
        if armed is None:
            return outcome
        # The fault is used in a write transaction of its own, which the request's may not be;
        # if another worker used its last request meanwhile, the request goes on as usual.
        triggered = _take_fault(server, armed)
        if triggered is None:
            continue
        if triggered.status is not None or triggered.drop:
            return _fault_outcome(server, operation, facts, triggered)
        delayed = triggered.delay_ms


def _attempt(
    server: Server,
    operation: Operation,
    facts: Facts,
    call: Callable[[Unit], Any],
    *,
    delayed: int,
) -> tuple[int | None, Outcome]:
    """The unit, or the id of the fault armed for its operation (having done nothing). A unit
    a fault `delayed` (ms) checks for no other, and answers after the delay."""
    with _session(server.db, write=operation.writes) as session:
        armed = _armed_fault(session, server, operation, facts) if not delayed else None
        if armed is not None:
            return armed, Outcome()
        unit = Unit(session, clock.now(session), server)
        try:
            unit.caller = _authenticate(unit, operation.caller, facts.authorization)
            value = call(unit)
            error = value if isinstance(value, ApiError) else None
            outcome = Outcome(
                value=None if error else value,
                error=error,
                delay_ms=delayed,
                fault=bool(delayed),
                client_id=unit.client_id,
            )
            if operation.writes:  # its journal entry in the same transaction: one commit
                _journal(session, server, operation, facts, outcome, now=unit.now)
            session.commit()
            if operation.writes:
                return None, outcome
        except Exception as exc:
            session.rollback()
            error = _error(exc)
            outcome = Outcome(
                error=error, delay_ms=delayed, fault=bool(delayed), client_id=unit.client_id
            )
    # A read transaction cannot take SQLite's write lock halfway, and a failed one rolled back.
    journal_alone(server, operation, facts, outcome)
    return None, outcome


@contextmanager
def _session(db: Database, *, write: bool) -> Iterator[Session]:
    """A session whose transaction, for a unit that may write, holds the write turn and starts
    with the write lock (BEGIN IMMEDIATE on SQLite)."""
    with db.write_turn() if write else nullcontext(), db.sessions() as session:
        if write:
            session.connection(execution_options=WRITE)
        yield session


def _armed_fault(
    session: Session, server: Server, operation: Operation, facts: Facts
) -> int | None:
    if not (operation.c1 and operation.operation_id and server.settings.control):
        return None
    return faults.armed(
        session,
        operation_id=operation.operation_id,
        bridge_id=facts.bridge_id,
        client_id=facts.client_id,
    )


def _take_fault(server: Server, fault_id: int) -> faults.Triggered | None:
    with _session(server.db, write=True) as session:
        triggered = faults.take(session, fault_id=fault_id)
        session.commit()
        return triggered


def _fault_outcome(
    server: Server, operation: Operation, facts: Facts, triggered: faults.Triggered
) -> Outcome:
    """What a fault that answers instead of the operation comes to, journaled (a dropped
    connection as 444, nginx's status for a connection closed without an answer)."""
    error = triggered.error() or Answered(DROPPED, "connection dropped by an injected fault")
    outcome = Outcome(
        error=error,
        delay_ms=triggered.delay_ms,
        fault=True,
        dropped=triggered.drop,
        client_id=facts.client_id,
    )
    journal_alone(server, operation, facts, outcome)
    return outcome


def _authenticate(unit: Unit, caller: Caller, authorization: str) -> Principal | None:
    """The caller behind `Authorization: Bearer <access token>`: 401 without a working one, 403
    for a tunnel credential where only admins may call."""
    if caller not in (Caller.ADMIN, Caller.CLIENT):
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("missing bearer token")
    principal = authenticate(
        unit.session, token=token.strip(), signer=unit.server.signer, now=unit.now
    )
    unit.client_id = principal.client_id
    if caller is Caller.ADMIN and not principal.is_admin:
        raise PermissionDenied("this credential may only call Introspect")
    return principal


def _error(exc: Exception) -> ApiError:
    """What a failure answers: an error a service raised, a database's refusal, or (a bug,
    logged with its traceback) 500."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, SQLAlchemyError):
        known = error_of(exc)
        if known is not None:
            return known
    log.error("unexpected error", exc_info=exc)
    return Internal("internal error")


def entry(server: Server, operation: Operation, facts: Facts, outcome: Outcome) -> journal.Entry:
    """What the journal and the request log keep of the request."""
    return journal.Entry.of(
        method=facts.method,
        path=facts.path,
        operation_id=operation.operation_id,
        status=outcome.status(operation),
        client_id=outcome.client_id,
        latency_ms=(time.perf_counter() - facts.started) * 1000 + outcome.delay_ms,
        words=server.registry.words,
        fault=outcome.fault,
        arrived=facts.arrived,
    )


def _journal(
    session: Session,
    server: Server,
    operation: Operation,
    facts: Facts,
    outcome: Outcome,
    *,
    now: datetime,
) -> None:
    """The request's journal entry, in `session`'s transaction."""
    if operation.c1 and server.settings.control:
        kept = entry(server, operation, facts, outcome)
        journal.record(session, kept, now=now, keep=server.settings.journal_size)


def journal_alone(server: Server, operation: Operation, facts: Facts, outcome: Outcome) -> None:
    """The journal entry in a transaction of its own: of a read, of a failed unit, or of a request
    refused before its unit ran. The answer matters more than its entry: a journal that cannot
    be written (the database is busy) is logged and left."""
    if not (operation.c1 and server.settings.control):
        return
    try:
        with _session(server.db, write=True) as session:
            _journal(session, server, operation, facts, outcome, now=clock.now(session))
            session.commit()
    except SQLAlchemyError as exc:
        log.warning("journal entry not written: %s", type(exc).__name__)
