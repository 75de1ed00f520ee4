"""A bridge's appliance, set through the control plane as if a real appliance had connected:
GetBridge, ListBridges and ListBridgeAnnouncedServices report what is stored here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..core.errors import InvalidArgument
from ..core.models import Bridge
from ..core.protojson import timestamp
from ..tunnel import bridges
from ..tunnel.views import service_view

CONNECTED = "TUNNEL_APPLIANCE_STATUS_CONNECTED"
STATUSES = (
    "TUNNEL_APPLIANCE_STATUS_UNSPECIFIED",
    CONNECTED,
    "TUNNEL_APPLIANCE_STATUS_DISCONNECTED",
    "TUNNEL_APPLIANCE_STATUS_NEVER_CONNECTED",
)
MAX_SERVICES = 32  # C1's limit per bridge


def set_state(
    session: Session,
    *,
    bridge_id: str,
    status: str,
    last_seen_at: datetime | None,
    services: list[dict[str, Any]] | None,
    now: datetime,
) -> Bridge:
    """Store the appliance's status, last contact and announced services.

    A connected appliance keeps its services when none are given and is seen `now` unless told
    otherwise; one that is not connected announces nothing (C1 lists no services then).
    """
    if services is not None and len(services) > MAX_SERVICES:
        raise InvalidArgument(f"announcedServices: at most {MAX_SERVICES} services per bridge")
    if status != CONNECTED and services:
        raise InvalidArgument("announcedServices: only a connected appliance announces services")
    bridge = bridges.get(session, bridge_id=bridge_id, lock=True)
    bridge.appliance_status = status
    if last_seen_at is not None:
        bridge.appliance_last_seen_at = last_seen_at
    elif status == CONNECTED:
        bridge.appliance_last_seen_at = now
    if status != CONNECTED:
        bridge.announced_services = []
    elif services is not None:
        bridge.announced_services = [service_view(s) for s in services]
    session.flush()
    return bridge


def view(bridge: Bridge) -> dict[str, Any]:
    return {
        "bridgeId": bridge.id,
        "status": bridge.appliance_status,
        "lastSeenAt": timestamp(bridge.appliance_last_seen_at),
        "announcedServices": [service_view(s) for s in bridge.announced_services or []],
    }
