"""The Tunnel service's objects as C1's API shows them (protojson: every field present, `null` for
unset timestamps, `""` for unset strings, enum names)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..core.models import Bridge, Credential
from ..core.protojson import timestamp


def bridge_view(bridge: Bridge) -> dict[str, Any]:
    services = bridge.announced_services or []
    return {
        "id": bridge.id,
        "displayName": bridge.display_name,
        "description": bridge.description,
        "createdAt": timestamp(bridge.created_at),
        "updatedAt": timestamp(bridge.updated_at),
        "deletedAt": None,
        "appliance": {
            "status": bridge.appliance_status,
            "lastSeenAt": timestamp(bridge.appliance_last_seen_at),
            "announcedServiceCount": len(services),
            "links": [],
        },
    }


def credential_view(credential: Credential, now: datetime, secret: str = "") -> dict[str, Any]:
    return {
        "id": credential.id,
        "bridgeId": credential.bridge_id,
        "clientId": credential.client_id,
        "clientSecret": secret,
        "credentialStatus": credential.status_at(now),
        "createdAt": timestamp(credential.created_at),
        "updatedAt": timestamp(credential.updated_at),
        "deletedAt": None,
        "expiresTime": timestamp(credential.expires_at),
        "lastUsedAt": timestamp(credential.last_used_at),
        "revokedAt": timestamp(credential.revoked_at),
    }


def service_view(service: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": service.get("name", ""),
        "port": service.get("port", 0),
        "servicePath": service.get("servicePath", ""),
        "serviceType": service.get("serviceType", ""),
        "transportType": service.get("transportType", ""),
    }
