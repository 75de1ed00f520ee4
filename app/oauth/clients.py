"""OAuth clients: admin service principals (`/spc`) and tunnel credentials (`/tcc`), looked up by
client id for the token endpoint and for bearer tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, delete, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..config import Settings
from ..core import ids
from ..core.crypto import (
    b64url,
    crypt_context,
    decode_secret,
    hash_secret,
    new_secret,
    public_key_text,
    verify_secret,
)
from ..core.errors import InvalidArgument
from ..core.ids import Random
from ..core.models import ACTIVE, AdminClient, Credential

ADMIN, TUNNEL = "admin", "tunnel"
# Where an admin client came from (AdminClient.source): the settings, `c1-mock admin create`, the
# first start (generated), or a seed document (control/seeding.py).
SETTINGS, CLI, GENERATED = "settings", "cli", "generated"


@dataclass(frozen=True)
class Principal:
    """Who is calling: an admin client, or the tunnel credential of a bridge."""

    client_id: str
    kind: str
    bridge_id: str = ""

    @property
    def is_admin(self) -> bool:
        return self.kind == ADMIN


# Built once: the token endpoint and every bearer token look clients up (Session.get cost twice
# as much as a built select; measured for `make bench`).
_CREDENTIAL = select(Credential).where(Credential.client_id == bindparam("client_id"))
_ADMIN = select(AdminClient).where(AdminClient.client_id == bindparam("client_id"))


def find(session: Session, *, client_id: str) -> AdminClient | Credential | None:
    """The client record for a client id, whatever its state."""
    if client_id.endswith("/tcc"):
        return session.scalar(_CREDENTIAL, {"client_id": client_id})
    return session.scalar(_ADMIN, {"client_id": client_id})


_CREDENTIALS = cast(Table, Credential.__table__)
_ADMINS = cast(Table, AdminClient.__table__)
_USED = {
    # Only while still ACTIVE: on PostgreSQL a revocation may commit after the client was read.
    Credential: update(_CREDENTIALS)
    .where(_CREDENTIALS.c.client_id == bindparam("cid"), _CREDENTIALS.c.status == ACTIVE)
    .values(last_used_at=bindparam("now")),
    AdminClient: update(_ADMINS)
    .where(_ADMINS.c.client_id == bindparam("cid"))
    .values(last_used_at=bindparam("now")),
}


def mark_used(session: Session, *, record: AdminClient | Credential, now: datetime) -> bool:
    """Set lastUsedAt; False when the client stopped being usable meanwhile. A Core UPDATE
    built once, at a third of the cost of an ORM flush: every token the endpoint issues pays it."""
    values = {"cid": record.client_id, "now": now}
    done = cast(CursorResult[Any], session.execute(_USED[type(record)], values))
    set_committed_value(record, "last_used_at", now)  # as stored; no second UPDATE at commit
    return done.rowcount == 1


def is_usable(record: AdminClient | Credential, now: datetime) -> bool:
    """An admin client always is; a tunnel credential while ACTIVE and not expired."""
    return isinstance(record, AdminClient) or record.status_at(now) == ACTIVE


def principal(record: AdminClient | Credential) -> Principal:
    if isinstance(record, AdminClient):
        return Principal(record.client_id, ADMIN)
    return Principal(record.client_id, TUNNEL, record.bridge_id)


def save_admin(
    session: Session,
    *,
    client_id: str,
    secret: str,
    source: str,
    settings: Settings,
    random: Random,
    now: datetime,
) -> AdminClient:
    """Create or replace an admin client. Any secret works for client_secret_post; one in C1's
    format also works for private_key_jwt. An admin saved again with the secret it has is left as
    it is (its tokens keep working across restarts); with another it is replaced (they stop)."""
    if not client_id.endswith("/spc") or "@" not in client_id:
        raise InvalidArgument("an admin client id must read <name>@<tenant domain>/spc")
    if not secret:
        raise InvalidArgument("an admin client needs a secret")
    context = crypt_context(settings.secret_hash_scheme, settings.secret_hash_rounds)
    admin = session.get(AdminClient, client_id)
    if admin is not None and verify_secret(context, secret, admin.secret_hash):
        admin.source = source
        return admin
    key = decode_secret(secret)
    admin = admin or AdminClient(client_id=client_id, created_at=now)
    admin.secret_hash = hash_secret(context, secret)
    admin.public_key = public_key_text(key) if key is not None else None
    admin.binding = b64url(random.bytes(12))
    admin.source = source
    session.add(admin)
    session.flush()
    return admin


def new_admin(
    session: Session, *, source: str, settings: Settings, random: Random, now: datetime
) -> tuple[str, str]:
    """Mint an admin client; returns (client id, secret). The secret is shown only to the caller."""
    client_id = ids.client_id(ids.cutename(random), settings.tenant_domain, "spc")
    secret, _ = new_secret(random)
    save_admin(
        session,
        client_id=client_id,
        secret=secret,
        source=source,
        settings=settings,
        random=random,
        now=now,
    )
    return client_id, secret


def retire_settings_admins(session: Session, *, keep: str | None) -> None:
    """Remove the admins earlier settings named, but `keep` (the settings' own, if any)."""
    query = delete(AdminClient).where(AdminClient.source == SETTINGS)
    if keep:
        query = query.where(AdminClient.client_id != keep)
    session.execute(query)


def listed(session: Session) -> Sequence[AdminClient]:
    """Every admin client, oldest first."""
    return session.scalars(select(AdminClient).order_by(AdminClient.created_at)).all()


def remove(session: Session, *, client_id: str) -> bool:
    """Remove an admin client (its tokens stop working at once); False when there is none."""
    removed = session.execute(delete(AdminClient).where(AdminClient.client_id == client_id))
    return cast(CursorResult[Any], removed).rowcount == 1


def any_admin(session: Session) -> bool:
    return session.scalar(select(AdminClient.client_id).limit(1)) is not None
