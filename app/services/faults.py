"""Injected faults: the next `times` requests of one operation answer an error status, optionally
after a delay and with Retry-After, so that clients' retry and error handling can be tested.

A fault names an operation by its full operationId, the last segment of it, or `token`
(CLARIFICATIONS.md). Faults live in the database, so every worker and replica sees them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from app.errors import InvalidArgument
from app.models import Fault
from app.schemas import timestamp

# RFC 6749 section 5.2 error codes for a token-endpoint fault that does not name one.
_OAUTH_ERRORS = {400: "invalid_request", 401: "invalid_client", 503: "temporarily_unavailable"}


@dataclass(frozen=True)
class Triggered:
    """What a faulted request answers."""

    status: int
    delay_ms: int
    retry_after: int | None
    error: str


class Fired(Exception):
    """A request that an armed fault answers (rendered by app.api.fault_injection)."""

    def __init__(self, triggered: Triggered) -> None:
        super().__init__("injected fault")
        self.triggered = triggered


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
    default = _OAUTH_ERRORS.get(status, "server_error" if status >= 500 else "invalid_request")
    return Triggered(status, delay_ms, retry_after, error or default)


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
