"""One bridge's credentials as a timeline: when each was created, revoked or expired, and which one
is active now (by the server clock). Never a secret: the store holds none."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.models import EXPIRED, REVOKED, Credential
from ..core.protojson import timestamp
from ..tunnel import bridges
from ..tunnel.views import bridge_view, credential_view

# The events of a credential's life, as the timeline names them.
CREATED, REVOKED_EVENT, EXPIRED_EVENT = "CREATED", "REVOKED", "EXPIRED"


def timeline(session: Session, *, bridge_id: str, now: datetime) -> dict[str, Any]:
    """The bridge, its credentials (newest first) and their events (newest first), or NotFound.

    A credential's events are CREATED, then REVOKED (at revokedAt) or EXPIRED (at expiresTime,
    once the clock has passed it and nothing revoked it first)."""
    bridge = bridges.get(session, bridge_id=bridge_id)
    credentials = session.scalars(
        select(Credential)
        .where(Credential.bridge_id == bridge.id)
        .order_by(Credential.created_at.desc(), Credential.id.desc())
    ).all()
    events = sorted(
        (event for credential in credentials for event in _events(credential, now)),
        key=lambda event: event[0],
        reverse=True,
    )
    return {
        "now": timestamp(now),
        "bridge": bridge_view(bridge),
        "credentials": [credential_view(c, now) for c in credentials],
        "events": [view for _, view in events],
    }


_Key = tuple[datetime, datetime, str, int]


def _events(credential: Credential, now: datetime) -> list[tuple[_Key, dict[str, Any]]]:
    """The credential's events with their sort keys. Within one instant (a mint revokes the old
    credential and creates the new one at the same time) the older credential's event comes
    first, and a credential's creation before its end."""
    status = credential.status_at(now)
    ends: list[tuple[str, datetime | None]] = []
    if status == REVOKED:
        ends.append((REVOKED_EVENT, credential.revoked_at))
    elif status == EXPIRED:
        ends.append((EXPIRED_EVENT, credential.expires_at))
    found = []
    for rank, (event, at) in enumerate([(CREATED, credential.created_at), *ends]):
        if at is None:
            continue
        key = (at, credential.created_at, credential.id, rank)
        found.append((key, _event_view(credential, event, at)))
    return found


def _event_view(credential: Credential, event: str, at: datetime) -> dict[str, Any]:
    return {
        "time": timestamp(at),
        "event": event,
        "credentialId": credential.id,
        "clientId": credential.client_id,
    }
