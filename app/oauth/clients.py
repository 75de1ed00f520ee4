"""OAuth clients: admin service principals (`/spc`) and tunnel credentials (`/tcc`), looked up by
client id for the token endpoint and for bearer tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from ..config import Settings
from ..core import driver, ids
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


@dataclass(frozen=True)
class Client:
    """A client record as the token endpoint and bearer tokens read it: an admin client, or a
    tunnel credential with its bridge, status and expiry."""

    client_id: str
    kind: str
    secret_hash: str
    public_key: str | None
    binding: str
    bridge_id: str = ""
    status: str = ACTIVE
    expires_at: datetime | None = None

    def is_usable(self, now: datetime) -> bool:
        """An admin client always is; a tunnel credential while ACTIVE and not expired."""
        if self.kind == ADMIN:
            return True
        return self.status == ACTIVE and self.expires_at is not None and self.expires_at > now

    @property
    def principal(self) -> Principal:
        return Principal(self.client_id, self.kind, self.bridge_id)


# Run for every token request and bearer token: built once, on the tables' columns, run on the
# driver (core/driver.py).
_CREDENTIALS = cast(Table, Credential.__table__)
_ADMINS = cast(Table, AdminClient.__table__)
_C, _A = _CREDENTIALS.c, _ADMINS.c
_CLIENT = ("client_id", "secret_hash", "public_key", "binding")
_FIND = {
    TUNNEL: driver.Statement(
        select(*(_C[name] for name in (*_CLIENT, "bridge_id", "status", "expires_at"))).where(
            _C.client_id == bindparam("client_id")
        )
    ),
    ADMIN: driver.Statement(
        select(*(_A[name] for name in _CLIENT)).where(_A.client_id == bindparam("client_id"))
    ),
}
_USED = {
    # Only while still ACTIVE: on PostgreSQL a revocation may commit after the client was read.
    TUNNEL: driver.Statement(
        update(_CREDENTIALS)
        .where(_C.client_id == bindparam("cid"), _C.status == ACTIVE)
        .values(last_used_at=bindparam("now", type_=_C.last_used_at.type))
    ),
    ADMIN: driver.Statement(
        update(_ADMINS)
        .where(_A.client_id == bindparam("cid"))
        .values(last_used_at=bindparam("now", type_=_A.last_used_at.type))
    ),
}


def find(db: driver.On, *, client_id: str) -> Client | None:
    """The client record for a client id, whatever its state."""
    kind = TUNNEL if client_id.endswith("/tcc") else ADMIN
    row = _FIND[kind].first(driver.on(db), {"client_id": client_id})
    if row is None:
        return None
    client_id, secret_hash, public_key, binding, *tunnel = row
    return Client(client_id, kind, secret_hash, public_key, binding, *tunnel)


def mark_used(db: driver.On, *, client: Client, now: datetime) -> bool:
    """Set lastUsedAt; False when the client stopped being usable meanwhile."""
    done = _USED[client.kind].count(driver.on(db), {"cid": client.client_id, "now": now})
    return done == 1


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
