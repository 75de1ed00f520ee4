"""The request journal: one row per request to the C1 API or the token endpoint, so that tests can
check what their code under test called. It holds what identifies a request (method, path,
operationId, status, client id) and never a body, query string or header value: no secret,
assertion or token can reach it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from ..core.crypto import SECRET_PREFIX
from ..core.models import JournalEntry
from ..core.protojson import timestamp

# Pruning costs a statement; every so many inserts is enough, and listings never show more than
# `keep` entries anyway.
_PRUNE_EVERY = 16
# Built once, on the table rather than the entity: the ORM's insert path costs as much again.
_INSERT = insert(JournalEntry.metadata.tables[JournalEntry.__tablename__])


def _clean(value: str) -> str:
    """A client id or path as sent, unless a confused client put a secret in it; control
    characters escaped (PostgreSQL's text cannot hold a NUL)."""
    if SECRET_PREFIX in value:
        value = "/".join("[redacted]" if SECRET_PREFIX in p else p for p in value.split("/"))
    if value.isprintable():
        return value
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in value)


def record(
    session: Session,
    *,
    method: str,
    path: str,
    operation_id: str,
    status: int,
    client_id: str,
    latency_ms: float,
    now: datetime,
    keep: int,
) -> None:
    """Add one entry and, now and then, drop the oldest beyond the newest `keep`. Core
    statements, not the ORM's unit of work: this runs for every request."""
    values = {
        "at": now,
        "method": method[:16],
        "path": _clean(path)[:2048],
        "operation_id": operation_id[:128],
        "status": status,
        "client_id": _clean(client_id)[:320],
        "latency_ms": latency_ms,
    }
    result = session.execute(_INSERT, values)
    assert isinstance(result, CursorResult)
    key = result.inserted_primary_key
    assert key is not None
    added: int = key[0]
    if added % _PRUNE_EVERY == 0:
        # Ids only grow, so everything at or below max(id) - keep is older than the newest `keep`.
        session.execute(delete(JournalEntry).where(JournalEntry.id <= added - keep))


def entries(
    session: Session, *, keep: int, operation: str | None = None, status: int | None = None
) -> Sequence[JournalEntry]:
    """The newest `keep` entries, oldest first; `operation` matches a full operationId or its
    last segment."""
    newest = select(JournalEntry.id).order_by(JournalEntry.id.desc()).limit(1).scalar_subquery()
    query = select(JournalEntry).where(JournalEntry.id > newest - keep).order_by(JournalEntry.id)
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
