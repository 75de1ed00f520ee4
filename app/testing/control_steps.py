"""The control plane's helpers, as steps (see steps.py): reset, state, seed, the virtual clock,
faults, the request journal and the appliance (/_mock/...)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypedDict

import yaml

from .steps import Helpers, Json, Steps, control, control_response, ok

CONNECTED = "TUNNEL_APPLIANCE_STATUS_CONNECTED"


def reset(mock: Helpers) -> Steps[None]:
    """POST /_mock/reset (in-process: the same reset, without the HTTP round trip)."""
    if mock._resetter is not None:
        mock._resetter()
    else:
        yield from control(mock, "POST", "/reset")
    mock._admin_token = None


def state(mock: Helpers) -> Steps[Json]:
    """GET /_mock/state: every bridge, credential and admin client, without secrets."""
    answer: Json = yield from control(mock, "GET", "/state")
    return answer


def seed(mock: Helpers, document: Json | str) -> Steps[Json]:
    """POST /_mock/seed with a document (a dict, or YAML or JSON text)."""
    text = document if isinstance(document, str) else yaml.safe_dump(document)
    headers = {"Content-Type": "application/yaml"}
    answer: Json = yield from control(mock, "POST", "/seed", content=text, headers=headers)
    return answer


# --- clock -------------------------------------------------------------------------------------


def clock(mock: Helpers) -> Steps[Json]:
    """GET /_mock/clock: {now, frozen, offsetSeconds, virtual}."""
    answer: Json = yield from control(mock, "GET", "/clock")
    return answer


def now(mock: Helpers) -> Steps[datetime]:
    """The server's time."""
    answer = yield from clock(mock)
    return datetime.fromisoformat(answer["now"].replace("Z", "+00:00"))


def _set_clock(mock: Helpers, change: Json) -> Steps[Json]:
    mock._admin_token = None  # a token from another time may not be valid at the new one
    answer: Json = yield from control(mock, "POST", "/clock", json=change)
    return answer


def set_time(mock: Helpers, when: datetime | str, *, frozen: bool | None = None) -> Steps[Json]:
    """Jump to `when` (an aware datetime or RFC 3339 text); `frozen=True` stops it there."""
    change: Json = {"now": when if isinstance(when, str) else when.isoformat()}
    if frozen is not None:
        change["frozen"] = frozen
    return (yield from _set_clock(mock, change))


def advance(mock: Helpers, seconds: float | timedelta) -> Steps[Json]:
    """Move the clock forward (negative: back)."""
    step = seconds.total_seconds() if isinstance(seconds, timedelta) else seconds
    return (yield from _set_clock(mock, {"advance": step}))


def freeze(mock: Helpers) -> Steps[Json]:
    """Stop the clock where it stands."""
    return (yield from _set_clock(mock, {"frozen": True}))


def unfreeze(mock: Helpers) -> Steps[Json]:
    """Let the clock run on from where it stands."""
    return (yield from _set_clock(mock, {"frozen": False}))


def real_time(mock: Helpers) -> Steps[Json]:
    """DELETE /_mock/clock: back to real time."""
    mock._admin_token = None
    answer: Json = yield from control(mock, "DELETE", "/clock")
    return answer


# --- faults and journal ------------------------------------------------------------------------


class FaultOptions(TypedDict, total=False):
    """fault()'s keyword arguments, as `faulted()` passes them on."""

    status: int | None
    times: int
    delay_ms: int
    retry_after: int | None
    error: str | None
    bridge_id: str | None
    client_id: str | None
    drop: bool


def fault(
    mock: Helpers,
    operation: str,
    *,
    status: int | None = 503,
    times: int = 1,
    delay_ms: int = 0,
    retry_after: int | None = None,
    error: str | None = None,
    bridge_id: str | None = None,
    client_id: str | None = None,
    drop: bool = False,
) -> Steps[Json]:
    """Make the next `times` requests of `operation` (operationId, its last segment, or
    "token"), those that name `bridge_id` or `client_id` when given, answer `status` after
    `delay_ms`; with `status=None`, only wait `delay_ms` and answer as usual; with `drop=True`,
    get no answer at all. The fault, with its id."""
    spec = {"operation": operation, "status": None if drop else status, "times": times}
    spec |= {"delayMs": delay_ms, "retryAfter": retry_after, "error": error, "drop": drop}
    spec |= {"bridgeId": bridge_id, "clientId": client_id}
    answer: Json = yield from control(mock, "POST", "/faults", json=spec)
    return answer


def faults(mock: Helpers) -> Steps[list[Json]]:
    """The faults with requests left to fail, oldest first."""
    answer = yield from control(mock, "GET", "/faults")
    return list(answer["faults"])


def clear_faults(mock: Helpers) -> Steps[None]:
    """Clear every fault."""
    yield from control(mock, "DELETE", "/faults")


def clear_fault(mock: Helpers, fault_id: int) -> Steps[None]:
    """Clear one fault by its id; the others stay armed."""
    yield from control(mock, "DELETE", f"/faults/{fault_id}")


def forget_fault(mock: Helpers, fault_id: int) -> Steps[None]:
    """Clear one fault unless it is already gone (a reset, or clear_faults, took it)."""
    response = yield from control_response(mock, "DELETE", f"/faults/{fault_id}")
    if response.status_code != 404:
        ok(response)


def requests(
    mock: Helpers, operation: str | None = None, status: int | None = None
) -> Steps[list[Json]]:
    """The journal, oldest first, filtered by operationId (or its last segment) and status."""
    given = (("operationId", operation), ("status", status))
    params = {name: value for name, value in given if value is not None}
    answer = yield from control(mock, "GET", "/requests", params=params)
    return list(answer["requests"])


def clear_requests(mock: Helpers) -> Steps[None]:
    """Empty the journal."""
    yield from control(mock, "DELETE", "/requests")


def set_appliance(
    mock: Helpers,
    bridge_id: str,
    *,
    status: str = CONNECTED,
    services: list[Json] | None = None,
    last_seen_at: str | None = None,
) -> Steps[Json]:
    """Report the bridge's appliance as connected (by default) with these services."""
    body: dict[str, Any] = {"status": status}
    if services is not None:
        body["announcedServices"] = services
    if last_seen_at is not None:
        body["lastSeenAt"] = last_seen_at
    answer: Json = yield from control(mock, "PUT", f"/bridges/{bridge_id}/appliance", json=body)
    return answer
