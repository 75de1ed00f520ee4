"""The server's clock: real UTC time, or a virtual clock set through the control plane.

The state lives in the database (one row) so that every worker and replica shares it. Timestamps
the server writes, credential expiry and access-token expiry follow it; client assertions are
checked against real time, because real clients sign them with their own clocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.models import ClockState


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


def current(session: Session) -> Clock:
    row = session.scalar(select(ClockState).where(ClockState.id == 1))
    if row is None:
        return Clock()
    return Clock(timedelta(seconds=row.offset_seconds), row.frozen_at)


def now(session: Session) -> datetime:
    """Server time as the clock says it is."""
    return current(session).now()


def save(session: Session, clock: Clock) -> Clock:
    """Store `clock` as the server's clock (real time when it is neither offset nor frozen)."""
    session.execute(delete(ClockState))
    if clock.virtual:
        session.add(
            ClockState(id=1, offset_seconds=clock.offset.total_seconds(), frozen_at=clock.frozen_at)
        )
    return clock
