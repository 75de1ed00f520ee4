"""Injected faults: the next `times` requests of one operation (that name a given bridge or client,
optionally) answer an error status, after a delay and with Retry-After when asked, or only wait
the delay, or get no answer at all (a dropped connection), so that clients' retry, timeout and
error handling can be tested.

A fault names an operation by its full operationId, the last segment of it, or `token` (the
token endpoint's operationId). Faults live in the database, so every worker and replica sees them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, exists, or_, select, update
from sqlalchemy.orm import Session

from ..core import driver
from ..core.errors import Answered, InvalidArgument, NotFound
from ..core.models import Fault
from ..core.protojson import timestamp
from .schemas import FaultSpec


@dataclass(frozen=True)
class Triggered:
    """What a faulted request meets: after `delay_ms`, the error of `status`; no error (the
    request goes on as usual after the delay); or a dropped connection."""

    status: int | None
    delay_ms: int
    retry_after: int | None
    oauth_error: str | None  # the token endpoint's RFC 6749 code; from the status when None
    drop: bool

    def error(self) -> Answered | None:
        """C1's body with the gRPC code of the status (503 is 14, 504 is 4, ...), or on the token
        endpoint RFC 6749's with the fault's `error`; None for a delay alone or a drop."""
        if self.status is None:
            return None
        return Answered(
            self.status,
            "injected fault",
            oauth_error=self.oauth_error,
            retry_after=self.retry_after,
        )


def add(session: Session, *, spec: FaultSpec, known: Collection[str], now: datetime) -> Fault:
    """Arm a fault. `known` holds the operation names a fault may name (typos fail loudly)."""
    if spec.operation not in known:
        raise InvalidArgument(f"operation: unknown operation {spec.operation!r}")
    fault = Fault(
        operation=spec.operation,
        status=spec.status,
        remaining=spec.times,
        delay_ms=spec.delay_ms,
        retry_after=spec.retry_after,
        error=spec.error,
        bridge_id=spec.bridge_id,
        client_id=spec.client_id,
        drop=spec.drop,
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


# Read for every request to a C1 operation: whether any fault is armed at all, in the request's
# first statement (request/unit.py); only when one is, which one matches, with _ARMED. Built once,
# on the table's columns, run on the driver (core/driver.py).
_FAULTS = cast(Table, Fault.__table__).c
ANY_ARMED = exists().where(_FAULTS.remaining > 0)
_ARMED = driver.Statement(
    select(_FAULTS.id)
    .where(_FAULTS.operation.in_([bindparam("full"), bindparam("last")]), _FAULTS.remaining > 0)
    .where(or_(_FAULTS.bridge_id.is_(None), _FAULTS.bridge_id == bindparam("bridge")))
    .where(or_(_FAULTS.client_id.is_(None), _FAULTS.client_id == bindparam("client")))
    .order_by(_FAULTS.id)
    .limit(1)
)


def armed(db: driver.On, *, operation_id: str, bridge_id: str, client_id: str) -> int | None:
    """The id of the oldest fault that matches the operation (and the bridge and client the
    request names, where the fault gives one), or None: a cheap read that lets requests without
    faults skip the write transaction of `take`."""
    names = {"full": operation_id, "last": operation_id.rsplit(".", 1)[-1]}
    values = names | {"bridge": bridge_id, "client": client_id}
    found: int | None = _ARMED.scalar(driver.on(db), values)
    return found


_TAKE = driver.Statement(
    update(cast(Table, Fault.__table__))
    .where(_FAULTS.id == bindparam("fault_id"), _FAULTS.remaining > 0)
    .values(remaining=_FAULTS.remaining - 1)
    .returning(_FAULTS.status, _FAULTS.delay_ms, _FAULTS.retry_after, _FAULTS.error, _FAULTS.drop)
)


def take(db: driver.On, *, fault_id: int) -> Triggered | None:
    """Use one of the fault's requests. The conditional decrement is atomic (one UPDATE in a
    write transaction), so two workers never both use the last one."""
    used = _TAKE.first(driver.on(db), {"fault_id": fault_id})
    if used is None:
        return None
    status, delay_ms, retry_after, error, drop = used
    return Triggered(status, delay_ms, retry_after, error, drop)


def view(fault: Fault) -> dict[str, Any]:
    return {
        "id": fault.id,
        "operation": fault.operation,
        "status": fault.status,
        "remaining": fault.remaining,
        "delayMs": fault.delay_ms,
        "retryAfter": fault.retry_after,
        "error": fault.error,
        "bridgeId": fault.bridge_id,
        "clientId": fault.client_id,
        "drop": fault.drop,
        "createdAt": timestamp(fault.created_at),
    }
