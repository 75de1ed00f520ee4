"""Python calls for a c1-mock server: the C1 shortcuts a test needs (admin token, bridge, mint,
token) and the control plane (reset, state, seed, clock, faults, journal, appliance).

`C1Mock` works over any httpx.Client pointed at the server: Starlette's TestClient for the
in-process `c1_mock` fixture, a plain httpx.Client for `c1_mock_server`. Usable without pytest.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import yaml

BRIDGES = "/api/v1/iam/tunnel/bridges"
CONNECTED = "TUNNEL_APPLIANCE_STATUS_CONNECTED"


class C1MockError(AssertionError):
    """A helper's request was not answered with success: its status and body, for the report."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(
            f"{response.request.method} {response.request.url.path} -> "
            f"{response.status_code}: {response.text[:500]}"
        )
        self.response = response


class C1Mock:
    """Helpers over `client`, a client whose base URL is the server."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        admin_client_id: str,
        admin_client_secret: str,
        control_token: str | None = None,
        url: str = "",
        resetter: Callable[[], None] | None = None,
    ) -> None:
        self.client = client
        self.url = url or str(client.base_url).rstrip("/")
        self.admin_client_id = admin_client_id
        self.admin_client_secret = admin_client_secret
        self._control = {"Authorization": f"Bearer {control_token}"} if control_token else {}
        self._admin_token: str | None = None
        self.app: Any = None  # the ASGI app, when in-process
        # httpx transports to the server, for code under test that takes a client or a transport:
        # the pytest fixtures set them (in-process: through the app, no socket).
        self.transport: httpx.BaseTransport | None = None  # for httpx.Client
        self.async_transport: httpx.AsyncBaseTransport | None = None  # for httpx.AsyncClient
        self._resetter = resetter  # a faster reset than over HTTP, when in-process

    @staticmethod
    def new_secret() -> str:
        """A new client secret in C1's format, for a seed document (its key is fresh and random,
        even in deterministic mode)."""
        from ..core.crypto import new_secret
        from ..core.ids import Random

        return new_secret(Random())[0]

    def async_client(self) -> httpx.AsyncClient:
        """An httpx.AsyncClient for the in-process app (ASGI transport, no socket)."""
        if self.app is None:
            raise RuntimeError("async_client() is for the in-process c1_mock; use url instead")
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=self.url)

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.client.request(method, path, **kwargs)
        if response.status_code >= 300:
            raise C1MockError(response)
        return response

    def _mock(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._call(method, f"/_mock{path}", headers=self._control, **kwargs)
        return response.json() if response.content else None

    def _api(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.admin_token()}"}
        return self._call(method, path, headers=headers, **kwargs).json()

    # --- C1 ----------------------------------------------------------------------------------

    def token_for(self, client_id: str, client_secret: str) -> str:
        """An access token for a client, from POST /auth/v1/token (client_secret_post)."""
        form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }
        token: str = self._call("POST", "/auth/v1/token", data=form).json()["access_token"]
        return token

    def admin_token(self) -> str:
        """The admin client's access token (kept until a reset or a change of the clock)."""
        if self._admin_token is None:
            self._admin_token = self.token_for(self.admin_client_id, self.admin_client_secret)
        return self._admin_token

    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token()}"}

    def create_bridge(self, display_name: str = "bridge", description: str = "") -> dict[str, Any]:
        """CreateBridge; the TunnelBridge JSON."""
        body = {"displayName": display_name, "description": description}
        bridge: dict[str, Any] = self._api("POST", BRIDGES, json=body)["bridge"]
        return bridge

    def mint(self, bridge_id: str) -> dict[str, Any]:
        """CreateBridgeCredential; the TunnelCredential JSON with its clientSecret."""
        path = f"{BRIDGES}/{bridge_id}/credentials"
        credential: dict[str, Any] = self._api("POST", path, json={})["credential"]
        return credential

    # --- state ---------------------------------------------------------------------------------

    def reset(self) -> None:
        """POST /_mock/reset (in-process: the same reset, without the HTTP round trip)."""
        if self._resetter is not None:
            self._resetter()
        else:
            self._mock("POST", "/reset")
        self._admin_token = None

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self._mock("GET", "/state")
        return state

    def seed(self, document: dict[str, Any] | str) -> dict[str, Any]:
        """POST /_mock/seed with a document (a dict, or YAML or JSON text)."""
        text = document if isinstance(document, str) else yaml.safe_dump(document)
        headers = {**self._control, "Content-Type": "application/yaml"}
        return dict(self._call("POST", "/_mock/seed", content=text, headers=headers).json())

    # --- clock ---------------------------------------------------------------------------------

    def clock(self) -> dict[str, Any]:
        clock: dict[str, Any] = self._mock("GET", "/clock")
        return clock

    def now(self) -> datetime:
        """The server's time."""
        return datetime.fromisoformat(self.clock()["now"].replace("Z", "+00:00"))

    def _set_clock(self, change: dict[str, Any]) -> dict[str, Any]:
        self._admin_token = None  # a token from another time may not be valid at the new one
        clock: dict[str, Any] = self._mock("POST", "/clock", json=change)
        return clock

    def set_time(self, when: datetime | str, *, frozen: bool | None = None) -> dict[str, Any]:
        """Jump to `when` (an aware datetime or RFC 3339 text); `frozen=True` stops it there."""
        change: dict[str, Any] = {"now": when if isinstance(when, str) else when.isoformat()}
        if frozen is not None:
            change["frozen"] = frozen
        return self._set_clock(change)

    def advance(self, seconds: float | timedelta) -> dict[str, Any]:
        """Move the clock forward (negative: back)."""
        step = seconds.total_seconds() if isinstance(seconds, timedelta) else seconds
        return self._set_clock({"advance": step})

    def freeze(self) -> dict[str, Any]:
        return self._set_clock({"frozen": True})

    def unfreeze(self) -> dict[str, Any]:
        return self._set_clock({"frozen": False})

    def real_time(self) -> dict[str, Any]:
        self._admin_token = None
        clock: dict[str, Any] = self._mock("DELETE", "/clock")
        return clock

    # --- faults and journal --------------------------------------------------------------------

    def fault(
        self,
        operation: str,
        *,
        status: int = 503,
        times: int = 1,
        delay_ms: int = 0,
        retry_after: int | None = None,
        error: str | None = None,
    ) -> dict[str, Any]:
        """Make the next `times` requests of `operation` (operationId, its last segment, or
        "token") answer `status`."""
        spec = {"operation": operation, "status": status, "times": times, "delayMs": delay_ms}
        spec |= {"retryAfter": retry_after, "error": error}
        fault: dict[str, Any] = self._mock("POST", "/faults", json=spec)
        return fault

    def faults(self) -> list[dict[str, Any]]:
        return list(self._mock("GET", "/faults")["faults"])

    def clear_faults(self) -> None:
        self._mock("DELETE", "/faults")

    def requests(
        self, operation: str | None = None, status: int | None = None
    ) -> list[dict[str, Any]]:
        """The journal, oldest first, filtered by operationId (or its last segment) and status."""
        given = (("operationId", operation), ("status", status))
        params = {name: value for name, value in given if value is not None}
        return list(self._mock("GET", "/requests", params=params)["requests"])

    def clear_requests(self) -> None:
        self._mock("DELETE", "/requests")

    def set_appliance(
        self,
        bridge_id: str,
        *,
        status: str = CONNECTED,
        services: list[dict[str, Any]] | None = None,
        last_seen_at: str | None = None,
    ) -> dict[str, Any]:
        """Report the bridge's appliance as connected (by default) with these services."""
        body: dict[str, Any] = {"status": status}
        if services is not None:
            body["announcedServices"] = services
        if last_seen_at is not None:
            body["lastSeenAt"] = last_seen_at
        appliance: dict[str, Any] = self._mock("PUT", f"/bridges/{bridge_id}/appliance", json=body)
        return appliance
