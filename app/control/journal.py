"""The request journal: one row per request to the C1 API or the token endpoint, so that tests can
check what their code under test called. It holds what identifies a request (method, path,
operationId, status, client id) and never a body, query string or header value, nor a path
segment or client id that is not shaped like an id (Entry): no secret, assertion or token can
reach it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, or_, select
from sqlalchemy.orm import Session

from ..core import driver, ids
from ..core.models import JournalEntry
from ..core.protojson import timestamp

# Pruning costs a statement; every so many inserts is enough, and listings never show more than
# `keep` entries anyway.
_PRUNE_EVERY = 16
# Built once, on the table rather than the entity, and run on the driver (core/driver.py): every
# request to C1's API runs them.
_TABLE = JournalEntry.metadata.tables[JournalEntry.__tablename__]
_COLUMNS = ("at", "arrived", "method", "path", "operation_id", "status", "client_id", "latency_ms")
_INSERT = driver.Statement(
    insert(_TABLE).values(driver.binds(_TABLE, *_COLUMNS)).returning(_TABLE.c.id)
)
_PRUNE = driver.Statement(delete(_TABLE).where(_TABLE.c.id <= bindparam("upto")))


@dataclass(frozen=True)
class Entry:
    """What the journal (and the request log) keeps of one request. Of what a client sent, only
    what has the shape of an id stays: path segments that are a route's own words, KSUIDs or
    cutenames, and a client id that reads as one; anything else becomes a marker with its length,
    so that a confused client's secret, key or token (as a path segment or a client id) is never
    stored or shown."""

    method: str
    path: str
    operation_id: str
    status: int
    client_id: str
    latency_ms: float
    fault: bool = False
    arrived: float = 0.0  # real time the request came in: the journal's order

    @classmethod
    def of(
        cls,
        *,
        method: str,
        path: str,
        operation_id: str,
        status: int,
        client_id: str,
        latency_ms: float,
        words: frozenset[str],
        fault: bool = False,
        arrived: float = 0.0,
    ) -> Entry:
        """An entry for a request to `path`, whose routes' own path segments are `words`."""
        segments = [s if s in words or _is_id(s) else _redacted(s) for s in path.split("/")]
        shown = client_id if not client_id or ids.is_client_id(client_id) else _redacted(client_id)
        method = method if method.isalpha() else _redacted(method)
        path = "/".join(segments)
        return cls(method, path, operation_id, status, shown, latency_ms, fault, arrived)


def _is_id(segment: str) -> bool:
    return ids.is_ksuid(segment) or ids.is_cutename(segment) or ids.is_client_id(segment)


def _redacted(value: str) -> str:
    return f"[redacted: {len(value)} characters]"


def record(db: driver.On, entry: Entry, *, now: datetime, keep: int) -> None:
    """Add one entry and, now and then, drop the oldest beyond the newest `keep`."""
    values = {
        "at": now,
        "arrived": entry.arrived,
        "method": entry.method[:16],
        "path": entry.path[:2048],
        "operation_id": entry.operation_id[:128],
        "status": entry.status,
        "client_id": entry.client_id[:320],
        "latency_ms": entry.latency_ms,
    }
    connection = driver.on(db)
    added: int = _INSERT.scalar(connection, values)
    if added % _PRUNE_EVERY == 0:
        # Ids only grow, so everything at or below max(id) - keep is older than the newest `keep`.
        _PRUNE.count(connection, {"upto": added - keep})


def entries(
    session: Session, *, keep: int, operation: str | None = None, status: int | None = None
) -> Sequence[JournalEntry]:
    """The newest `keep` entries, in the order their requests arrived (not the order they were
    answered in: a slow or delayed request keeps its place); `operation` matches a full
    operationId or its last segment."""
    newest = select(JournalEntry.id).order_by(JournalEntry.id.desc()).limit(1).scalar_subquery()
    query = (
        select(JournalEntry)
        .where(JournalEntry.id > newest - keep)
        .order_by(JournalEntry.arrived, JournalEntry.id)
    )
    if operation:
        query = query.where(
            or_(
                JournalEntry.operation_id == operation,
                JournalEntry.operation_id.endswith("." + operation, autoescape=True),
            )
        )
    if status is not None:
        query = query.where(JournalEntry.status == status)
    return session.scalars(query).all()


def clear(session: Session) -> None:
    """Forget every entry."""
    session.execute(delete(JournalEntry))


def view(entry: JournalEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "time": timestamp(entry.at),
        "method": entry.method,
        "path": entry.path,
        "operationId": entry.operation_id,
        "status": entry.status,
        "clientId": entry.client_id,
        "latencyMs": round(entry.latency_ms, 3),
    }
