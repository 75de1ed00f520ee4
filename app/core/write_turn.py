"""Writers of one SQLite file take turns in a queue before BEGIN IMMEDIATE.

SQLite's busy handler waits for the write lock by sleeping 1, 2, 5, 10 ... 100 ms between tries,
so under concurrent writes most of a request's time went to sleeping and the process that slept
longest kept losing (measured with `make bench`: 160 tokens/s, p99 1.7 s). Here the threads of a
process queue on a lock, and the processes on an flock of `<database file>-lock`; both wake the
next writer as soon as the turn is free. SQLite's own lock and busy timeout stay underneath, for
writers that do not queue here (other tools, migrations).

The hot units run on the event loop (`on_loop`), which must never wait: a unit takes the turn
there only when it is free at once. Otherwise it joins the loop's queue, and one waiter thread
waits for the turn on the queue's behalf and hands it to the loop, which runs the queued units
(up to BATCH of them) back to back before giving it back: a worker's turn is then shared by
several requests, while other workers' waiters and a long reset or seed in a thread never hold
up the loop, nor a fault's delay or a health check it serves meanwhile.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy.exc import OperationalError

T = TypeVar("T")
# Units the loop runs in one turn it waited for, before it lets other writers have it.
BATCH = 16


def busy() -> OperationalError:
    """What a writer that waited longer than the busy timeout meets: the database's own error
    when its busy timeout runs out, which answers 503 (core/db.py's `error_of`)."""
    return OperationalError("wait for the write turn", None, TimeoutError("write turn"))


def _settle(done: asyncio.Future[Any], value: Any = None, error: Exception | None = None) -> None:
    """Complete a queued unit's future, on its own loop: an app served in-process by two loops
    at once (a test's TestClient beside its async client) queues units from both."""

    def settle() -> None:
        if done.done():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(value)

    loop = done.get_loop()
    if loop is asyncio.get_running_loop():
        settle()
    else:
        loop.call_soon_threadsafe(settle)


class WriteTurn:
    """One per Database. `path` is the SQLite file, or None (PostgreSQL: row locks, no queue)."""

    def __init__(self, path: str | None, *, timeout: float) -> None:
        self.lock_path = f"{path}-lock" if path else None
        self.timeout = timeout
        self._turn = threading.Lock()
        self._fd = -1  # the lock file's descriptor, opened at the first turn
        self._queue: deque[tuple[Callable[[], Any], asyncio.Future[Any]]] = deque()
        self._waiter: ThreadPoolExecutor | None = None
        self._waiting = False

    @contextmanager
    def __call__(self) -> Iterator[None]:
        """Hold the turn to write (blocking: a thread's). Past the timeout, 503 to retry."""
        if self.lock_path is None:
            yield
            return
        if not self._take(blocking=True):
            raise busy()
        try:
            yield
        finally:
            self._give_back()

    def _take(self, *, blocking: bool) -> bool:
        assert self.lock_path is not None
        if not self._turn.acquire(blocking, self.timeout if blocking else -1):
            return False
        try:
            # One descriptor per process: flock belongs to the open file, so the processes
            # exclude each other, and the thread lock above the threads of this one.
            if self._fd < 0:
                self._fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BaseException:
            self._turn.release()
            if blocking:
                raise
            return False
        return True

    def _give_back(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._turn.release()

    async def on_loop(self, unit: Callable[[], T]) -> T:
        """Run `unit` on the event loop holding the turn, without ever waiting there for it."""
        if self.lock_path is None:
            return unit()
        if not self._queue and self._take(blocking=False):
            try:
                return unit()
            finally:
                self._give_back()
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append((unit, done))
        self._wait_for_turn()
        return await done

    def _wait_for_turn(self) -> None:
        """Have the waiter thread take the turn for the queue, unless it is already at it."""
        if self._waiting:
            return
        self._waiting = True
        loop = asyncio.get_running_loop()
        if self._waiter is None:
            self._waiter = ThreadPoolExecutor(1, thread_name_prefix="c1mock-write-turn")
        waited = loop.run_in_executor(self._waiter, self._take_waiting)
        waited.add_done_callback(lambda future: self._run_queue(future.result()))

    def _take_waiting(self) -> bool:
        try:
            return self._take(blocking=True)
        except OSError:
            return False

    def _run_queue(self, taken: bool) -> None:
        """On the loop: the waiter came back, with the turn or after the timeout."""
        self._waiting = False
        if not taken:
            while self._queue:
                _settle(self._queue.popleft()[1], error=busy())
            return
        try:
            for _ in range(min(BATCH, len(self._queue))):
                unit, done = self._queue.popleft()
                if done.done():  # its request went away while it waited
                    continue
                try:
                    _settle(done, unit())
                except Exception as exc:
                    _settle(done, error=exc)
        finally:
            self._give_back()
        if self._queue:
            self._wait_for_turn()

    def close(self) -> None:
        if self._waiter is not None:
            self._waiter.shutdown(wait=False)
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
