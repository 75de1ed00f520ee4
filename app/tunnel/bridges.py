"""Bridges: create, read, list, update, delete, and the appliance state the API reports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from ..core import driver, ids, pagination
from ..core.errors import InvalidArgument, NotFound
from ..core.ids import Random
from ..core.models import NEVER_CONNECTED, Bridge

_MASK_FIELDS = {
    "displayName": "display_name",
    "display_name": "display_name",
    "description": "description",
}


# Built once (every mint and most API calls read a bridge by id; see guard.py).
_BY_ID = select(Bridge).where(Bridge.id == bindparam("bridge_id"))
_BY_ID_LOCKED = _BY_ID.with_for_update()


# Every mint runs it: run on the driver (core/driver.py).
_LOCK = driver.Statement(
    select(Bridge.__table__.c.id)
    .where(Bridge.__table__.c.id == bindparam("bridge_id"))
    .with_for_update()
)


def lock(db: driver.On, *, bridge_id: str) -> None:
    """Take the bridge's row lock (PostgreSQL FOR UPDATE), or NotFound, without loading it."""
    if _LOCK.first(driver.on(db), {"bridge_id": bridge_id}) is None:
        raise NotFound("bridge not found")


def get(session: Session, *, bridge_id: str, lock: bool = False) -> Bridge:
    """The bridge, or NotFound. `lock` takes its row lock (PostgreSQL FOR UPDATE)."""
    bridge = session.scalar(_BY_ID_LOCKED if lock else _BY_ID, {"bridge_id": bridge_id})
    if bridge is None:
        raise NotFound("bridge not found")
    return bridge


def create(
    session: Session,
    *,
    display_name: str,
    description: str,
    random: Random,
    now: datetime,
    bridge_id: str | None = None,
) -> Bridge:
    """A new bridge with no credentials and an appliance that never connected."""
    if not display_name.strip():
        raise InvalidArgument("displayName is required")
    bridge = Bridge(
        id=bridge_id or ids.ksuid(now, random),
        display_name=display_name,
        description=description,
        created_at=now,
        updated_at=now,
        appliance_status=NEVER_CONNECTED,
        appliance_last_seen_at=None,
        announced_services=[],
    )
    session.add(bridge)
    session.flush()
    return bridge


def list_page(
    session: Session, *, page_size: int | None, page_token: str | None
) -> tuple[Sequence[Bridge], str]:
    key = (Bridge.created_at, Bridge.id)
    return pagination.paginate(session, select(Bridge), key=key, size=page_size, token=page_token)


def _mask(
    update_mask: str | None, *, display_name: str | None, description: str | None
) -> set[str]:
    """Field names to update: the mask's (JSON or proto names), or the fields present."""
    if update_mask is None or not update_mask.strip():
        return {
            name
            for name, value in (("display_name", display_name), ("description", description))
            if value is not None
        }
    fields = set()
    for path in (p.strip() for p in update_mask.split(",")):
        if path not in _MASK_FIELDS:
            raise InvalidArgument(f"updateMask: unknown field {path!r}")
        fields.add(_MASK_FIELDS[path])
    return fields


def update(
    session: Session,
    *,
    bridge_id: str,
    display_name: str | None,
    description: str | None,
    update_mask: str | None,
    now: datetime,
) -> Bridge:
    """Patch display name and description; credentials are not touched."""
    fields = _mask(update_mask, display_name=display_name, description=description)
    bridge = get(session, bridge_id=bridge_id, lock=True)
    if "display_name" in fields:
        if not (display_name or "").strip():
            raise InvalidArgument("displayName must not be empty")
        bridge.display_name = display_name or ""
    if "description" in fields:
        bridge.description = description or ""
    if fields:
        bridge.updated_at = now
    session.flush()
    return bridge


def delete_bridge(session: Session, *, bridge_id: str) -> None:
    """Hard-delete the bridge and every credential it owns (ON DELETE CASCADE)."""
    lock(session, bridge_id=bridge_id)
    session.execute(delete(Bridge).where(Bridge.id == bridge_id))
