"""Writers of one SQLite file take turns in a queue before BEGIN IMMEDIATE.

SQLite's busy handler waits for the write lock by sleeping 1, 2, 5, 10 ... 100 ms between tries,
so under concurrent writes most of a request's time went to sleeping and the process that slept
longest kept losing (measured with `make bench`: 160 tokens/s, p99 1.7 s). Here the threads of a
process queue on a lock, and the processes on an flock of `<database file>-lock`; both wake the
next writer as soon as the turn is free. SQLite's own lock and busy timeout stay underneath, for
writers that do not queue here (other tools, migrations).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import OperationalError


class WriteTurn:
    """One per Database. `path` is the SQLite file, or None (PostgreSQL: row locks, no queue)."""

    def __init__(self, path: str | None, *, timeout: float) -> None:
        self.lock_path = f"{path}-lock" if path else None
        self.timeout = timeout
        self._turn = threading.Lock()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        """Hold the turn to write. Times out like the busy timeout would: a 503 to retry."""
        if self.lock_path is None:
            yield
            return
        if not self._turn.acquire(timeout=self.timeout):
            raise OperationalError("wait for the write turn", None, TimeoutError("write turn"))
        try:
            # A new descriptor each turn: flock belongs to the open file, and closing it unlocks.
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)
        finally:
            self._turn.release()
