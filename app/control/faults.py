"""Injected faults: the next `times` requests of one operation answer an error status, optionally
after a delay and with Retry-After, so that clients' retry and error handling can be tested.

A fault names an operation by its full operationId, the last segment of it, or `token` (the
token endpoint's operationId). Faults live in the database, so every worker and replica sees them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from ..core.errors import Answered, InvalidArgument, NotFound
from ..core.models import Fault
from ..core.protojson import timestamp


@dataclass(frozen=True)
class Triggered:
    """What a faulted request answers: after `delay_ms`, the error."""

    status: int
    delay_ms: int
    retry_after: int | None
    oauth_error: str | None  # the token endpoint's RFC 6749 code; from the status when None

    def error(self) -> Answered:
        """C1's body with the gRPC code of the status (503 is 14, 504 is 4, ...), or on the token
        endpoint RFC 6749's with the fault's `error`."""
        return Answered(
            self.status,
            "injected fault",
            oauth_error=self.oauth_error,
            retry_after=self.retry_after,
        )


def add(
    session: Session,
    *,
    operation: str,
    status: int,
    times: int,
    delay_ms: int,
    retry_after: int | None,
    error: str | None,
    known: Collection[str],
    now: datetime,
) -> Fault:
    """Arm a fault. `known` holds the operation names a fault may name (typos fail loudly)."""
    if operation not in known:
        raise InvalidArgument(f"operation: unknown operation {operation!r}")
    fault = Fault(
        operation=operation,
        status=status,
        remaining=times,
        delay_ms=delay_ms,
        retry_after=retry_after,
        error=error,
        created_at=now,
    )
    session.add(fault)
    session.flush()
    return fault


def listed(session: Session) -> Sequence[Fault]:
    """Faults with requests left to fail, oldest first."""
    return session.scalars(select(Fault).where(Fault.remaining > 0).order_by(Fault.id)).all()


def clear(session: Session) -> None:
    session.execute(delete(Fault))


def clear_one(session: Session, *, fault_id: str) -> None:
    """Remove one fault by its id (as text, from the path), used up or not; NotFound when no
    fault has it."""
    # At most 18 digits: the ids are 64-bit integers on every backend.
    if not (fault_id.isascii() and fault_id.isdigit() and len(fault_id) <= 18):
        raise NotFound("fault not found")
    removed = session.execute(delete(Fault).where(Fault.id == int(fault_id)).returning(Fault.id))
    if removed.first() is None:
        raise NotFound("fault not found")


# Read for every request to a C1 operation: built once, on the table's columns (see guard.py).
_FAULTS = cast(Table, Fault.__table__).c
_ARMED = (
    select(_FAULTS.id)
    .where(_FAULTS.operation.in_([bindparam("full"), bindparam("last")]), _FAULTS.remaining > 0)
    .order_by(_FAULTS.id)
    .limit(1)
)


def armed(session: Session, *, operation_id: str) -> int | None:
    """The id of the oldest fault that matches the operation, or None: a cheap read that lets
    requests without faults skip the write transaction of `take`."""
    names = {"full": operation_id, "last": operation_id.rsplit(".", 1)[-1]}
    found: int | None = session.scalar(_ARMED, names)
    return found


def take(session: Session, *, fault_id: int) -> Triggered | None:
    """Use one of the fault's requests. The conditional decrement is atomic (one UPDATE in a
    write transaction), so two workers never both use the last one."""
    used = session.execute(
        update(Fault)
        .where(Fault.id == fault_id, Fault.remaining > 0)
        .values(remaining=Fault.remaining - 1)
        .returning(Fault.status, Fault.delay_ms, Fault.retry_after, Fault.error)
    ).first()
    if used is None:
        return None
    status, delay_ms, retry_after, error = used
    return Triggered(status, delay_ms, retry_after, error)


def view(fault: Fault) -> dict[str, Any]:
    return {
        "id": fault.id,
        "operation": fault.operation,
        "status": fault.status,
        "remaining": fault.remaining,
        "delayMs": fault.delay_ms,
        "retryAfter": fault.retry_after,
        "error": fault.error,
        "createdAt": timestamp(fault.created_at),
    }
