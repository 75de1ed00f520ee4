"""Engine and sessions.

SQLite: WAL, a busy timeout, and SQLAlchemy's recipe that takes control of BEGIN from the driver
(its legacy transaction handling breaks SAVEPOINT and lets concurrent rotations interleave). A
transaction that writes starts with BEGIN IMMEDIATE, so it takes the write lock before it reads and
never fails half-way on a lock upgrade; readers keep plain BEGIN and run beside it under WAL.
PostgreSQL: psycopg 3, READ COMMITTED; writers lock rows with SELECT ... FOR UPDATE.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from . import driver
from .errors import Aborted, ApiError, InvalidArgument, Unavailable
from .write_turn import WriteTurn

BUSY_TIMEOUT_MS = 10_000
log = logging.getLogger("c1mock")
# Threads per worker process for requests' units of work (request/unit.py). SQLite writers
# take turns anyway, and more threads only contend for the GIL: 4 instead of anyio's 40 answered
# about 40% more requests with 2 workers (`make bench`). PostgreSQL: one per pooled connection.
SQLITE_THREADS = 4
POOL_SIZE, POOL_OVERFLOW = 5, 5
WRITE = {"c1mock_write": True}
# Transactions on the event loop's connection between two WAL checkpoints (see loop_transaction).
CHECKPOINT_EVERY = 100


def normalise_url(url: str) -> str:
    """Accept postgres:// and postgresql:// and use psycopg 3 for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if make_url(url).get_backend_name() != "sqlite":
        # lock_timeout: like SQLite's busy timeout, a writer waits this long for a row lock and
        # then fails (LockNotAvailable -> 503 with Retry-After) instead of holding a worker forever.
        # At most 10 connections a process: two servers of 4 workers stay under PostgreSQL's
        # default max_connections (100), so a burst waits for the pool instead of being refused.
        return create_engine(
            url,
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
            pool_pre_ping=True,
            connect_args={"options": f"-c lock_timeout={BUSY_TIMEOUT_MS}"},
        )
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        pool_size=20,
        max_overflow=20,
    )
    _take_control_of_sqlite_transactions(engine)
    return engine


def _take_control_of_sqlite_transactions(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # the driver must not emit BEGIN itself
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get("c1mock_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite_file(engine: Engine) -> str | None:
    """The SQLite database file, when there is one (not for :memory: or PostgreSQL)."""
    name = engine.url.database
    if not is_sqlite(engine) or not name or name == ":memory:" or name.startswith("file:"):
        return None
    return os.path.abspath(name)


def _create_private(path: str | None) -> None:
    """A SQLite file c1-mock creates is readable by its owner only (it holds the token-signing
    key); SQLite gives its -wal and -shm files the database file's mode. A file that exists is
    left as its owner made it."""
    if path is None:
        return
    with contextlib.suppress(FileExistsError, FileNotFoundError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


class Database:
    """The engine and its session factory: one per process."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        _create_private(_sqlite_file(self.engine))
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self.write_turn = WriteTurn(_sqlite_file(self.engine), timeout=BUSY_TIMEOUT_MS / 1000)
        self.threads = SQLITE_THREADS if is_sqlite(self.engine) else POOL_SIZE + POOL_OVERFLOW
        # SQLite: units run on the event loop (request/unit.py) on a connection of their own.
        self.on_loop = is_sqlite(self.engine)
        self._loop_connection: Any = None
        self._loop_transactions = 0
        self._checkpointer = ThreadPoolExecutor(1, thread_name_prefix="c1mock-checkpoint")

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back if it raises."""
        with self.write_turn() if write else nullcontext(), self.sessions() as session:
            if write:
                session.connection(execution_options=WRITE)
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def loop_transaction(self) -> Iterator[driver.Connection]:
        """A write transaction on the event loop's own connection (SQLite only), which the loop
        alone uses, for a caller that holds the write turn: it starts at once. Rolled back
        unless the caller commits it.

        SQLite checkpoints its WAL into the database file in the COMMIT that finds the WAL past
        1000 pages, writing megabytes (and syncing) there. On this connection that would be on
        the event loop, holding the write turn; instead it commits without, and every
        CHECKPOINT_EVERY transactions a thread of this process checkpoints (PASSIVE: beside
        readers and writers, without waiting for them)."""
        if self._loop_connection is None:
            self._loop_connection = self.engine.raw_connection()
            self._loop_connection.driver_connection.execute("PRAGMA wal_autocheckpoint=0")
        connection = driver.Connection(self._loop_connection.driver_connection, self.engine.dialect)
        driver.BEGIN_IMMEDIATE.count(connection)
        try:
            yield connection
        finally:
            if connection.dbapi.in_transaction:
                connection.dbapi.rollback()
            self._loop_transactions += 1
            if self._loop_transactions % CHECKPOINT_EVERY == 0:
                self._checkpointer.submit(self._checkpoint)

    def _checkpoint(self) -> None:
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except SQLAlchemyError as exc:  # the next one will do; SQLite's WAL stays consistent
            log.warning("WAL checkpoint failed: %s", type(exc).__name__)

    def dispose(self) -> None:
        self._checkpointer.shutdown(wait=True)
        if self._loop_connection is not None:
            self._loop_connection.close()
            self._loop_connection = None
        self.write_turn.close()
        self.engine.dispose()


def error_of(exc: SQLAlchemyError) -> ApiError | None:
    """What a database failure means to the client. A value the database cannot hold
    (PostgreSQL: a NUL character, an overlong string) is the client's: 400. A unique violation: a
    concurrent change won the race (the partial index did its job): 409, retry. Lock timeouts
    and serialization failures: 503, retry later. None for anything else: a bug of ours."""
    if isinstance(exc, DataError):
        return InvalidArgument("a value in the request is not allowed")
    if isinstance(exc, IntegrityError):
        return Aborted("the request conflicted with a concurrent change; retry it", retry_after=1)
    if isinstance(exc, OperationalError):
        log.warning("database busy: %s", type(exc.orig).__name__)
        return Unavailable("the database is busy; retry", retry_after=1)
    return None
