"""Seeding: admin clients, bridges with fixed ids and credentials with given secrets, from a YAML or
JSON document (C1MOCK_SEED_FILE at start-up and on reset, and POST /_mock/seed).

The whole document is checked before anything is written, and a refused document names its
offending entry by path (`bridges[0].displayName: ...`). Seeding makes the document's objects
exist: an entry with an id replaces the object with that id, a bridge without one is matched by
its displayName, so applying a document twice (a restart on a kept database) changes nothing.
Messages never quote a value: a document carries secrets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import Settings, tenant_of
from ..core.errors import InvalidArgument, UnsupportedMediaType
from ..core.ids import Random
from ..core.models import AdminClient, Bridge, Credential
from ..core.protojson import timestamp
from ..oauth import clients
from ..tunnel import bridges, credentials
from ..tunnel.views import bridge_view, credential_view
from .seed_document import SeedAdmin, SeedBridge, SeedCredential, SeedDocument, check

SEED = "seed"  # AdminClient.source of the admins a seed made: a reset removes them
# What an HTML form can send (its enctypes). A web page of any origin may post a form to a local
# server without asking (no CORS preflight), so a document never comes in one of these.
FORM_MEDIA_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)

_cache: dict[tuple[str, int, int], SeedDocument] = {}


@dataclass
class Seeded:
    """What a document resolved to, for the answer of POST /_mock/seed."""

    admins: list[AdminClient] = field(default_factory=list)
    bridges: list[Bridge] = field(default_factory=list)
    credentials: list[Credential] = field(default_factory=list)


def check_media_type(content_type: str | None) -> None:
    """UnsupportedMediaType for a form's content type; any other (or none) may carry a document."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type in FORM_MEDIA_TYPES:
        raise UnsupportedMediaType(
            "Content-Type: send the document as application/yaml or application/json, not as a form"
        )


def parse(text: str | bytes) -> SeedDocument:
    """The checked document, or InvalidArgument naming the offending entry. No document at all
    (empty, or only comments) is the empty one; `null` is not a document."""
    data = _load(text)
    try:
        document = SeedDocument.model_validate(data)
    except ValidationError as exc:
        raise InvalidArgument(_describe(exc)) from None
    except RecursionError:
        raise InvalidArgument("document: nested too deeply") from None
    check(document)
    return document


def _load(text: str | bytes) -> Any:
    """The parsed document. A value the parsers cannot make (a date that does not exist, an
    integer of thousands of digits) or nesting deeper than they go is refused like a syntax
    error, and never quoted: the document may hold secrets."""
    # JSON first: JSON is YAML, but PyYAML refuses the escaped surrogate pairs JSON writes for
    # characters beyond U+FFFF.
    try:
        return json.loads(text)
    except RecursionError:
        raise InvalidArgument("document: nested too deeply") from None
    except ValueError:
        pass
    try:
        documents = list(yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    except yaml.YAMLError as exc:
        raise InvalidArgument(f"document: not valid YAML or JSON: {_where(exc)}") from None
    except RecursionError:
        raise InvalidArgument("document: nested too deeply") from None
    except (ValueError, OverflowError, TypeError):
        raise InvalidArgument(
            "document: a value cannot be read (a date or time that does not exist, "
            "or a number out of range)"
        ) from None
    if len(documents) > 1:
        raise InvalidArgument("document: one YAML document, not several")
    return documents[0] if documents else {}


def _where(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return (getattr(exc, "problem", None) or "syntax error") + where


def load_file(path: Path) -> SeedDocument:
    """The seed file, parsed once per version of it (reset reads it before every test)."""
    try:
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        if key not in _cache:
            _cache.clear()
            _cache[key] = parse(path.read_bytes())
    except OSError as exc:
        raise InvalidArgument(f"cannot read it: {exc.strerror}") from None
    return _cache[key]


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        parts.append(f"{path.lstrip('.') or 'document'}: {message}")
    return "; ".join(parts)


def apply(
    session: Session, *, document: SeedDocument, settings: Settings, random: Random, now: datetime
) -> Seeded:
    """Write the document's objects in the caller's transaction (nothing half-applied: a
    conflict with stored objects raises, and the caller rolls back)."""
    seeded = Seeded()
    for i, admin in enumerate(document.admins):
        seeded.admins.append(
            _ensure_admin(session, admin, i, settings=settings, random=random, now=now)
        )
    for i, entry in enumerate(document.bridges):
        bridge = _ensure_bridge(session, entry, random=random, now=now)
        seeded.bridges.append(bridge)
        for j, cred in enumerate(entry.credentials):
            where = f"bridges[{i}].credentials[{j}]"
            seeded.credentials.append(
                _ensure_credential(
                    session, bridge, cred, where, settings=settings, random=random, now=now
                )
            )
    return seeded


def _ensure_admin(
    session: Session,
    entry: SeedAdmin,
    index: int,
    *,
    settings: Settings,
    random: Random,
    now: datetime,
) -> AdminClient:
    if tenant_of(entry.client_id) != settings.tenant_domain:
        raise InvalidArgument(
            f"admins[{index}].clientId: not of this server's tenant domain "
            f"{settings.tenant_domain!r}: the server would refuse it"
        )
    existing = session.get(AdminClient, entry.client_id)
    if existing is not None and existing.source != SEED:
        # Replacing it would hand the settings' (or the operator's) admin to the next reset.
        raise InvalidArgument(
            f"admins[{index}].clientId: the server's own admin client has this id"
        )
    if _other_with_user_id(session, entry):
        raise InvalidArgument(
            f"admins[{index}].clientId: its name is another admin client's user id"
        )
    admin = clients.save_admin(
        session,
        client_id=entry.client_id,
        secret=entry.client_secret,
        source=SEED,
        settings=settings,
        random=random,
        now=now,
    )
    admin.user_display_name, admin.user_email = entry.user.display_name, entry.user.email
    return admin


def _other_with_user_id(session: Session, entry: SeedAdmin) -> bool:
    """Whether another admin client has the same name part, and so would be the same user."""
    same_name = AdminClient.client_id.startswith(entry.user_id + "@", autoescape=True)
    others = select(AdminClient.client_id).where(
        same_name, AdminClient.client_id != entry.client_id
    )
    return session.scalar(others.limit(1)) is not None


def _ensure_bridge(session: Session, entry: SeedBridge, *, random: Random, now: datetime) -> Bridge:
    if entry.id is not None:
        bridge = session.get(Bridge, entry.id)
    else:
        by_name = select(Bridge).where(Bridge.display_name == entry.display_name)
        bridge = session.scalar(by_name.order_by(Bridge.created_at, Bridge.id).limit(1))
    if bridge is None:
        return bridges.create(
            session,
            display_name=entry.display_name,
            description=entry.description,
            random=random,
            now=now,
            bridge_id=entry.id,
        )
    if (bridge.display_name, bridge.description) != (entry.display_name, entry.description):
        bridge.display_name, bridge.description = entry.display_name, entry.description
        bridge.updated_at = now
    return bridge


def _ensure_credential(
    session: Session,
    bridge: Bridge,
    entry: SeedCredential,
    where: str,
    *,
    settings: Settings,
    random: Random,
    now: datetime,
) -> Credential:
    existing = _existing_credential(session, bridge, entry)
    if existing is not None and existing.bridge_id != bridge.id:
        raise InvalidArgument(f"{where}.id: a credential of another bridge has this id")
    return credentials.store(
        session,
        bridge_id=bridge.id,
        credential_id=entry.id or (existing.id if existing else None),
        secret=entry.client_secret,
        status=entry.status,
        settings=settings,
        random=random,
        now=now,
    )


def _existing_credential(
    session: Session, bridge: Bridge, entry: SeedCredential
) -> Credential | None:
    """The credential this entry stands for: by id, or else the bridge's one with its key."""
    if entry.id is not None:
        return session.get(Credential, entry.id)
    return session.scalar(
        select(Credential).where(
            Credential.bridge_id == bridge.id, Credential.public_key == entry.public_key
        )
    )


def view(seeded: Seeded, *, now: datetime) -> dict[str, Any]:
    """What POST /_mock/seed answers: the objects the document stands for, without secrets."""
    return {
        "clients": [client_view(a) for a in seeded.admins],
        "bridges": [bridge_view(b) for b in seeded.bridges],
        "credentials": [credential_view(c, now) for c in seeded.credentials],
    }


def client_view(admin: AdminClient) -> dict[str, Any]:
    return {
        "clientId": admin.client_id,
        "kind": "admin",
        "source": admin.source,
        "createdAt": timestamp(admin.created_at),
        "lastUsedAt": timestamp(admin.last_used_at),
    }
