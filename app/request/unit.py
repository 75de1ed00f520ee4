"""A request's unit of work: its operation runs in one transaction, committed before
the response is built, so a client is never shown a secret whose row failed to commit.

In order, in one transaction: the server clock and whether any fault is armed (one statement),
the injected fault, if one is armed for the operation; the caller the operation's policy asks for;
the operation itself; its journal entry; commit. An operation that raises changes nothing: its
transaction rolls back, and the journal entry of its error is written in a new one. One that
returns an error answers it and keeps its changes (a failed client authentication is counted by
the brute-force guard). A unit that may write takes the SQLite write turn first, and gives it
back when it ends.

Where a unit runs: an operation declared `inline` (the token endpoint and CreateBridgeCredential,
whose work is a few statements on the driver and no waiting) runs on the event loop on SQLite,
where it saves the thread-pool hop and its contention for the GIL; it takes the write turn there
only when it is free, and otherwise queues for it (core/write_turn.py). Every other unit, and
every unit on PostgreSQL (whose statements wait on the network), runs in the thread pool, in an
ORM session whose connection the driver statements share.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ..config import Settings
from ..control import clock, faults, journal
from ..core import driver
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
    # bearer token's, or the token request's client_id), authenticated or not: `client_id`,
    # found by `name_client` only when a fault is armed.
    bridge_id: str = ""
    name_client: Callable[[], str] = field(default=lambda: "", repr=False, compare=False)
    # For operations that read their own request: the token form, seed documents.
    body: bytes = field(default=b"", repr=False)
    content_type: str = ""
    address: str = ""  # the client's address

    @cached_property
    def client_id(self) -> str:
        return self.name_client()


@dataclass
class Transaction:
    """A unit's transaction: its driver connection and, in the thread pool, its ORM session."""

    connection: driver.Connection
    session: Session | None = None

    def commit(self) -> None:
        if self.session is not None:
            self.session.commit()
        else:
            self.connection.dbapi.commit()

    def rollback(self) -> None:
        if self.session is not None:
            self.session.rollback()
        else:
            self.connection.dbapi.rollback()


@dataclass
class Unit:
    """What an operation works with: its transaction, the server clock's time, the app's random
    source, settings and signer, and the caller its policy authenticated (None for PUBLIC and
    CONTROL operations)."""

    transaction: Transaction
    now: datetime
    server: Server
    facts: Facts
    prepared: Any = None  # what the operation's `prepare` made of the request, if it has one
    caller: Principal | None = None
    # The client the journal names: the caller, or for the token endpoint the client it asked for.
    client_id: str = ""

    @property
    def connection(self) -> driver.Connection:
        """The driver connection, for the services' hot statements (core/driver.py)."""
        return self.transaction.connection

    @property
    def session(self) -> Session:
        """The ORM session: not for an inline operation, which runs on the connection alone."""
        assert self.transaction.session is not None, "an inline operation has no session"
        return self.transaction.session

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
class Later:
    """An operation's value that is finished after its transaction commits, outside the write
    turn (an access token, signed): `finish()` makes it, when the answer is rendered."""

    finish: Callable[[], Any]


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


async def run(
    server: Server, operation: Operation, facts: Facts, call: Callable[[Unit], Any]
) -> Outcome:
    """Run `call` as `operation`: on the event loop for an inline operation on SQLite, else in
    the thread pool; the operation's `prepare` first, outside the write turn."""
    prepared = operation.prepare(server, facts) if operation.prepare else None
    try:
        if not (operation.inline and server.db.on_loop):
            return await run_in_threadpool(execute, server, operation, facts, call, prepared)
        return await server.db.write_turn.on_loop(
            lambda: execute(server, operation, facts, call, prepared, inline=True)
        )
    except SQLAlchemyError as exc:  # busy past the timeout, before the unit began: 503
        return Outcome(error=_error(exc))


def execute(
    server: Server,
    operation: Operation,
    facts: Facts,
    call: Callable[[Unit], Any],
    prepared: Any = None,
    *,
    inline: bool = False,
) -> Outcome:
    """Run `call` as `operation` (blocking: the caller chooses the thread). `inline`: on the
    event loop, whose caller holds the write turn."""
    delayed = 0  # the delay of a fault that only delays: the unit runs, faults are not checked
    while True:
        armed, outcome = _attempt(
            server, operation, facts, call, prepared, delayed=delayed, inline=inline
        )
        if armed is None:
            return outcome
        # The fault is used in a write transaction of its own, which the request's may not be;
        # if another worker used its last request meanwhile, the request goes on as usual.
        triggered = _take_fault(server, armed, inline=inline)
        if triggered is None:
            continue
        if triggered.status is not None or triggered.drop:
            return _fault_outcome(server, operation, facts, triggered, inline=inline)
        delayed = triggered.delay_ms


# Every unit's first statement: the server clock and whether any fault is armed at all.
_START = driver.Statement(select(clock.OFFSET, clock.FROZEN_AT, faults.ANY_ARMED))


def _attempt(
    server: Server,
    operation: Operation,
    facts: Facts,
    call: Callable[[Unit], Any],
    prepared: Any,
    *,
    delayed: int,
    inline: bool,
) -> tuple[int | None, Outcome]:
    """The unit, or the id of the fault armed for its operation (having done nothing). A unit
    a fault `delayed` (ms) checks for no other, and answers after the delay."""
    with transaction(server, write=operation.writes, inline=inline) as tx:
        offset, frozen_at, any_armed = _START.first(tx.connection)
        if any_armed and not delayed:
            armed = _armed_fault(tx.connection, server, operation, facts)
            if armed is not None:
                return armed, Outcome()
        unit = Unit(tx, clock.of(offset, frozen_at).now(), server, facts, prepared)
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
                _journal(tx.connection, server, operation, facts, outcome, now=unit.now)
            tx.commit()
            if operation.writes:
                return None, outcome
        except Exception as exc:
            tx.rollback()
            error = _error(exc)
            outcome = Outcome(
                error=error, delay_ms=delayed, fault=bool(delayed), client_id=unit.client_id
            )
    # A read transaction cannot take SQLite's write lock halfway, and a failed one rolled back.
    journal_alone(server, operation, facts, outcome, inline=inline)
    return None, outcome


@contextmanager
def transaction(server: Server, *, write: bool, inline: bool = False) -> Iterator[Transaction]:
    """A unit's transaction. In the thread pool, a session whose transaction, for a unit that may
    write, holds the write turn and starts with the write lock (BEGIN IMMEDIATE on SQLite). On
    the loop (`inline`), a write transaction on the loop's connection, the turn already held."""
    if inline:
        with server.db.loop_transaction() as connection:
            yield Transaction(connection)
        return
    db = server.db
    with db.write_turn() if write else nullcontext(), db.sessions() as session:
        if write:
            session.connection(execution_options=WRITE)
        yield Transaction(driver.of(session), session)


def _armed_fault(
    connection: driver.Connection, server: Server, operation: Operation, facts: Facts
) -> int | None:
    if not (operation.c1 and operation.operation_id and server.settings.control):
        return None
    return faults.armed(
        connection,
        operation_id=operation.operation_id,
        bridge_id=facts.bridge_id,
        client_id=facts.client_id,
    )


def _take_fault(server: Server, fault_id: int, *, inline: bool) -> faults.Triggered | None:
    with transaction(server, write=True, inline=inline) as tx:
        triggered = faults.take(tx.connection, fault_id=fault_id)
        tx.commit()
        return triggered


def _fault_outcome(
    server: Server,
    operation: Operation,
    facts: Facts,
    triggered: faults.Triggered,
    *,
    inline: bool,
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
    journal_alone(server, operation, facts, outcome, inline=inline)
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
        unit.connection, token=token.strip(), signer=unit.server.signer, now=unit.now
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
    connection: driver.Connection,
    server: Server,
    operation: Operation,
    facts: Facts,
    outcome: Outcome,
    *,
    now: datetime,
) -> None:
    """The request's journal entry, in `connection`'s transaction."""
    if operation.c1 and server.settings.control:
        kept = entry(server, operation, facts, outcome)
        journal.record(connection, kept, now=now, keep=server.settings.journal_size)


def journal_alone(
    server: Server, operation: Operation, facts: Facts, outcome: Outcome, *, inline: bool = False
) -> None:
    """The journal entry in a transaction of its own: of a read, of a failed unit, or of a request
    refused before its unit ran. The answer matters more than its entry: a journal that cannot
    be written (the database is busy) is logged and left."""
    if not (operation.c1 and server.settings.control):
        return
    try:
        with transaction(server, write=True, inline=inline) as tx:
            _journal(tx.connection, server, operation, facts, outcome, now=clock.now(tx.connection))
            tx.commit()
    except SQLAlchemyError as exc:
        log.warning("journal entry not written: %s", type(exc).__name__)
