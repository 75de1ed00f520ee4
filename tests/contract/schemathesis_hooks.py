"""Schemathesis hooks for tests/contract/test_schemathesis.py (loaded through SCHEMATHESIS_HOOKS).

openapi.yaml keeps C1's request schemas exactly as C1 publishes them, and those leave out rules C1
documents in prose (in its API descriptions and docs). So that schemathesis does not call a correct
400 a rejected valid request, *positive* cases are brought within those rules; negative cases and
every check stay untouched:
- displayName is required, not blank, at most 512 characters; description at most 4096; neither
  holds NUL (PostgreSQL cannot store it);
- UpdateBridge's updateMask names fields (displayName, display_name, description), and an applied
  displayName "must be non-empty" (C1's own description);
- pageToken is opaque: only a nextPageToken this server issued is valid, so a generated one
  becomes "" (the first page).

The control plane's own schemas (tag Mock) say all a schema can; the seed document's rules that span
entries or need a real key are brought within the same way:
- admins' clientIds are of the server's tenant, and an admin's name (the part before `@`, its
  user's id) is made unique in the run (a name another admin client already has is a correct
  400); admins' clientIds, bridges' ids and the displayNames of bridges without one appear once;
  a displayName is not blank; a bridge's id (27 base62 characters) decodes to at most 20 bytes,
  as a KSUID does;
- a credential's clientSecret is a real C1 secret (a fresh key each time, so two entries never
  share one); its id is made unique in the run (a credential id already held by another bridge
  is a correct 400), and a bridge has at most one ACTIVE credential (ACTIVE is the default);
- the clock stays in the years 1000 to 8999: a change starts from real time (the hook resets the
  clock first, as the result depends on where earlier cases left it) and `now` is moved into
  1100 to 8899, so that a century's `advance` keeps it inside; lastSeenAt is a time UTC can hold.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import schemathesis
from schemathesis import GenerationMode

from c1_mock.core.models import ACTIVE, REVOKED
from c1_mock.testing.client import C1Mock
from tests.helpers import TENANT

_FIELDS = {"displayName", "display_name", "description"}
_serial = itertools.count(1)


def _text(value: Any, limit: int) -> str:
    return str(value).replace("\x00", "")[:limit]


def _name(value: Any) -> str:
    name = _text(value or "", 512)
    return name if name.strip() else "bridge"


def _create(body: dict[str, Any]) -> None:
    body["displayName"] = _name(body.get("displayName"))
    if isinstance(body.get("description"), str):
        body["description"] = _text(body["description"], 4096)


def _update(body: dict[str, Any]) -> None:
    mask = body.get("updateMask")
    if isinstance(mask, str) and not {p.strip() for p in mask.split(",")} <= _FIELDS | {""}:
        body["updateMask"] = "description"
    if isinstance(body.get("description"), str):
        body["description"] = _text(body["description"], 4096)
    if isinstance(body.get("displayName"), str):
        body["displayName"] = _name(body["displayName"])


def _once(entries: Any, key: Callable[[dict[str, Any]], Any]) -> Any:
    """The entries without those whose key (when not None) repeats an earlier one's."""
    if not isinstance(entries, list):
        return entries
    seen, kept = set(), []
    for entry in entries:
        value = key(entry) if isinstance(entry, dict) else None
        if value is None or value not in seen:
            kept.append(entry)
        seen.add(value)
    return kept


def _credentials(entries: Any) -> None:
    active = False
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        entry["clientSecret"] = C1Mock.new_secret()
        if isinstance(entry.get("id"), str):
            entry["id"] = f"{entry['id'][:50].rstrip('-')}-{next(_serial)}"
        if entry.get("status", ACTIVE) == ACTIVE:
            entry["status"] = REVOKED if active else ACTIVE
            active = True


def _admins(entries: Any) -> None:
    for entry in entries if isinstance(entries, list) else []:
        client_id = entry.get("clientId") if isinstance(entry, dict) else None
        if isinstance(client_id, str) and "@" in client_id:
            name = client_id.split("@", 1)[0]
            entry["clientId"] = f"{name[:50]}-{next(_serial)}@{TENANT}/spc"  # of this tenant


def _seed(document: Any) -> None:
    if not isinstance(document, dict):
        return
    _admins(document.get("admins"))
    document["admins"] = _once(document.get("admins", []), lambda a: a.get("clientId"))
    bridges = document.get("bridges", [])
    for bridge in bridges if isinstance(bridges, list) else []:
        if isinstance(bridge, dict):
            bridge["displayName"] = _name(bridge.get("displayName"))
            if isinstance(bridge.get("id"), str) and len(bridge["id"]) == 27:
                bridge["id"] = "0" + bridge["id"][1:]  # at most the largest KSUID
            _credentials(bridge.get("credentials"))
    bridges = _once(bridges, lambda b: b.get("id"))
    document["bridges"] = _once(bridges, lambda b: None if "id" in b else b["displayName"])


def _year_within(value: Any, first: int, last: int) -> Any:
    """An RFC 3339 time whose year is outside first..last moved to 2000-2399 (the calendar repeats
    every 400 years, so 29 February stays a date)."""
    try:
        year = datetime.fromisoformat(value.replace("Z", "+00:00")).year
    except (AttributeError, ValueError):
        return value
    return value if first <= year <= last else f"{2000 + year % 400}{value[4:]}"


def _clock(case: Any) -> None:
    httpx.delete(f"{case.operation.schema.get_base_url()}/_mock/clock").raise_for_status()
    if isinstance(case.body, dict) and "now" in case.body:
        case.body["now"] = _year_within(case.body["now"], 1100, 8899)


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
        return
    if isinstance(case.query, dict) and "pageToken" in case.query:
        case.query["pageToken"] = ""
    if case.path == "/api/v1/iam/tunnel/bridges" and case.method.upper() == "POST":
        if not isinstance(case.body, dict):
            case.body = {}
        _create(case.body)
    elif case.method.upper() == "PATCH" and isinstance(case.body, dict):
        _update(case.body)
    elif case.path == "/_mock/seed":
        _seed(case.body)
    elif case.path == "/_mock/clock" and case.method.upper() == "POST":
        _clock(case)
    elif (
        case.path.endswith("/appliance")
        and isinstance(case.body, dict)
        and "lastSeenAt" in case.body
    ):
        case.body["lastSeenAt"] = _year_within(case.body["lastSeenAt"], 2, 9998)
