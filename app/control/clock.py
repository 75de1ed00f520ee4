"""The server's clock: real UTC time, or a virtual clock set through the control plane.

The state lives in the database (one row) so that every worker and replica shares it. Timestamps
the server writes, credential expiry and access-token expiry follow it; client assertions are
checked against real time, because real clients sign them with their own clocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..core import driver
from ..core.errors import InvalidArgument
from ..core.models import ClockState
from ..core.protojson import timestamp

# Where the clock may go: every lifetime the server adds to it (tokens, credentials) stays inside
# datetime's range, and RFC 3339 years keep four digits.
EARLIEST = datetime(1000, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def real_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Clock:
    offset: timedelta = timedelta(0)
    frozen_at: datetime | None = None

    def now(self) -> datetime:
        return self.frozen_at if self.frozen_at is not None else real_now() + self.offset

    @property
    def virtual(self) -> bool:
        return self.frozen_at is not None or self.offset != timedelta(0)


# Read by every request: built once, on the table's columns, run on the driver (core/driver.py).
# Each is a scalar subquery, so a request can read them in its first statement with other things
# (request/unit.py); no row means real time.
_CLOCK = ClockState.__table__.c
OFFSET = select(_CLOCK.offset_seconds).where(_CLOCK.id == 1).scalar_subquery()
FROZEN_AT = select(_CLOCK.frozen_at).where(_CLOCK.id == 1).scalar_subquery()
_CURRENT = driver.Statement(select(OFFSET, FROZEN_AT))


def of(offset_seconds: float | None, frozen_at: datetime | None) -> Clock:
    """The clock a row of (OFFSET, FROZEN_AT) describes."""
    return Clock(timedelta(seconds=offset_seconds or 0), frozen_at)


def current(db: driver.On) -> Clock:
    return of(*_CURRENT.first(driver.on(db)))


def now(db: driver.On) -> datetime:
    """Server time as the clock says it is."""
    return current(db).now()


def under_lock(db: driver.On, now: datetime) -> datetime:
    """The time for a change made under a row lock just taken. On SQLite the transaction held the
    database's write lock from its start, so `now` (read then) already is; on PostgreSQL a
    concurrent change may have committed while this one waited for the lock, and read the clock
    after this one did: read it again, so that times follow the order changes commit in."""
    connection = driver.on(db)
    if connection.name == "sqlite":
        return now
    return current(connection).now()


def save(session: Session, clock: Clock) -> Clock:
    """Store `clock` as the server's clock (real time when it is neither offset nor frozen)."""
    session.execute(delete(ClockState))
    if clock.virtual:
        session.add(
            ClockState(id=1, offset_seconds=clock.offset.total_seconds(), frozen_at=clock.frozen_at)
        )
    return clock


def _locked(session: Session) -> Clock:
    """The clock, with its row locked (PostgreSQL) so that two changes never lose one."""
    row = session.scalar(select(ClockState).where(ClockState.id == 1).with_for_update())
    if row is None:
        return Clock()
    return Clock(timedelta(seconds=row.offset_seconds), row.frozen_at)


def _at(clock: Clock, when: datetime) -> Clock:
    """A frozen clock stays frozen at `when`; a running one runs on from there."""
    if clock.frozen_at is not None:
        return Clock(frozen_at=when.astimezone(UTC))
    return Clock(offset=when.astimezone(UTC) - real_now())


def _moved(clock: Clock, seconds: float) -> Clock:
    step = timedelta(seconds=seconds)
    if clock.frozen_at is not None:
        return Clock(frozen_at=clock.frozen_at + step)
    return Clock(offset=clock.offset + step)


def _frozen(clock: Clock, frozen: bool) -> Clock:
    if frozen and clock.frozen_at is None:
        return Clock(frozen_at=clock.now())
    if not frozen and clock.frozen_at is not None:
        return Clock(offset=clock.frozen_at - real_now())
    return clock


def change(
    session: Session, *, when: datetime | None, advance: float | None, frozen: bool | None
) -> Clock:
    """Jump to `when` and move by `advance` seconds (negative goes back), each when given, on a
    clock frozen first or let run last as `frozen` says (so `when` and frozen stops exactly at
    `when`), in one locked read-modify-write. A clock that would leave EARLIEST..LATEST is
    InvalidArgument, and stays as it was."""
    clock = _changed(_locked(session), when=when, advance=advance, frozen=frozen)
    if clock is None:
        raise InvalidArgument("the clock stays between the years 1000 and 8999")
    return save(session, clock)


def _changed(
    clock: Clock, *, when: datetime | None, advance: float | None, frozen: bool | None
) -> Clock | None:
    """The clock after the change, or None when it would leave EARLIEST..LATEST."""
    try:
        if frozen:
            clock = _frozen(clock, True)
        if when is not None:
            clock = _at(clock, when)
        if advance is not None:
            clock = _moved(clock, advance)
        if frozen is False:
            clock = _frozen(clock, False)
        return clock if EARLIEST <= clock.now() < LATEST else None
    except OverflowError:  # past datetime's own range (years 1 to 9999)
        return None


def real_time(session: Session) -> Clock:
    """Back to real UTC time."""
    return save(session, Clock())


def view(clock: Clock) -> dict[str, Any]:
    """The clock as GET /_mock/clock shows it."""
    return {
        "now": timestamp(clock.now()),
        "frozen": clock.frozen_at is not None,
        "offsetSeconds": clock.offset.total_seconds() if clock.frozen_at is None else None,
        "virtual": clock.virtual,
    }
