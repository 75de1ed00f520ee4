"""The Tunnel service's helpers, as steps (see steps.py): every operation of
c1.api.iam.v1.TunnelCredentialsService, called as the admin client. The list helpers return every
item, following nextPageToken until the last page."""

from __future__ import annotations

from typing import Any

from .steps import Helpers, Json, Steps, as_admin

BRIDGES = "/api/v1/iam/tunnel/bridges"
CREDENTIALS = "/api/v1/iam/tunnel/credentials"


def create_bridge(
    mock: Helpers, display_name: str = "bridge", description: str = ""
) -> Steps[Json]:
    """CreateBridge; the TunnelBridge JSON."""
    body = {"displayName": display_name, "description": description}
    answer = yield from as_admin(mock, "POST", BRIDGES, json=body)
    bridge: Json = answer["bridge"]
    return bridge


def list_bridges(mock: Helpers) -> Steps[list[Json]]:
    """ListBridges: every bridge, oldest first (all pages)."""
    return (yield from _every_page(mock, BRIDGES))


def get_bridge(mock: Helpers, bridge_id: str) -> Steps[Json]:
    """GetBridge; the TunnelBridge JSON."""
    answer = yield from as_admin(mock, "GET", f"{BRIDGES}/{bridge_id}")
    bridge: Json = answer["bridge"]
    return bridge


def update_bridge(
    mock: Helpers,
    bridge_id: str,
    *,
    display_name: str | None = None,
    description: str | None = None,
) -> Steps[Json]:
    """UpdateBridge of the fields given (the others stay); the TunnelBridge JSON."""
    given = (("displayName", display_name), ("description", description))
    body = {name: value for name, value in given if value is not None}
    answer = yield from as_admin(mock, "PATCH", f"{BRIDGES}/{bridge_id}", json=body)
    bridge: Json = answer["bridge"]
    return bridge


def delete_bridge(mock: Helpers, bridge_id: str) -> Steps[None]:
    """DeleteBridge: the bridge and every credential it owns."""
    yield from as_admin(mock, "DELETE", f"{BRIDGES}/{bridge_id}")


def mint(mock: Helpers, bridge_id: str) -> Steps[Json]:
    """CreateBridgeCredential; the TunnelCredential JSON with its clientSecret (the bridge's
    active credential before it is revoked)."""
    answer = yield from as_admin(mock, "POST", f"{BRIDGES}/{bridge_id}/credentials", json={})
    credential: Json = answer["credential"]
    return credential


def list_credentials(mock: Helpers, bridge_id: str) -> Steps[list[Json]]:
    """ListBridgeCredentials: every credential of the bridge, active and revoked (all pages)."""
    return (yield from _every_page(mock, f"{BRIDGES}/{bridge_id}/credentials"))


def revoke(mock: Helpers, credential_id: str) -> Steps[None]:
    """RevokeBridgeCredential: its tokens stop working at once."""
    yield from as_admin(mock, "DELETE", f"{CREDENTIALS}/{credential_id}")


def list_announced_services(mock: Helpers, bridge_id: str) -> Steps[list[Json]]:
    """ListBridgeAnnouncedServices: the services the bridge's appliance announces (all pages)."""
    return (yield from _every_page(mock, f"{BRIDGES}/{bridge_id}/announced_services"))


def _every_page(mock: Helpers, path: str) -> Steps[list[Json]]:
    items: list[Json] = []
    params: dict[str, Any] = {}
    while True:
        page = yield from as_admin(mock, "GET", path, params=params)
        items.extend(page["list"])
        if not page["nextPageToken"]:
            return items
        params = {"pageToken": page["nextPageToken"]}
