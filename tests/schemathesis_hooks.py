"""Schemathesis hooks for tests/test_schemathesis.py (loaded through SCHEMATHESIS_HOOKS).

openapi.yaml keeps C1's request schemas exactly as C1 publishes them, and those leave out rules C1
documents in prose (C1-NOTES.md, CLARIFICATIONS.md). So that schemathesis does not call a correct
400 a rejected valid request, *positive* cases are brought within those rules; negative cases and
every check stay untouched:
- displayName is required, not blank, at most 512 characters; description at most 4096; neither
  holds NUL (PostgreSQL cannot store it);
- UpdateBridge's updateMask names fields (displayName, display_name, description), and an applied
  displayName "must be non-empty" (C1's own description);
- pageToken is opaque: only a nextPageToken this server issued is valid, so a generated one
  becomes "" (the first page).
"""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis import GenerationMode

_FIELDS = {"displayName", "display_name", "description"}


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
