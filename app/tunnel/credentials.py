"""Tunnel credentials: mint (rotating out the active one), list, revoke."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import ColumnElement, Table, bindparam, case, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..config import Settings
from ..control import clock
from ..core import driver, ids, pagination
from ..core.crypto import (
    b64url,
    crypt_context,
    decode_secret,
    hash_secret,
    new_secret,
    public_key_text,
)
from ..core.errors import Aborted, InvalidArgument, NotFound
from ..core.ids import Random
from ..core.models import ACTIVE, EXPIRED, REVOKED, Credential, UTCDateTime
from . import bridges


@dataclass(frozen=True)
class NewKey:
    """A new credential's key: its secret, public key and the secret's digest. Made before the
    mint takes the write turn (request/operations.py's `prepare`), since it needs no database."""

    secret: str
    public_key: str
    secret_hash: str

    @classmethod
    def make(cls, settings: Settings, random: Random) -> NewKey:
        secret, public_key = new_secret(random)
        context = crypt_context(settings.secret_hash_scheme, settings.secret_hash_rounds)
        return cls(secret, public_key, hash_secret(context, secret))


def mint(
    db: driver.On,
    *,
    bridge_id: str,
    settings: Settings,
    random: Random,
    now: datetime,
    key: NewKey | None = None,
) -> tuple[Credential, str]:
    """Rotate the bridge's credential and return the new one with its plaintext secret.

    The bridge row is locked first (FOR UPDATE on PostgreSQL; SQLite holds the database write lock
    from BEGIN IMMEDIATE), so rotations of one bridge run one after another, and their times are
    read under that lock, so they follow the order the rotations commit in; the partial unique
    index on ACTIVE credentials is the backstop. The caller commits before answering.
    """
    connection = driver.on(db)
    bridges.lock(connection, bridge_id=bridge_id)
    now = clock.under_lock(connection, now)
    _retire_active(connection, bridge_id=bridge_id, now=now)
    key = key or NewKey.make(settings, random)
    insert_new = _INSERT_NEW[connection.name]
    for _ in range(_ATTEMPTS):  # a name another credential holds: draw another
        credential = Credential(id=ids.cutename(random))
        _fill(credential, bridge_id=bridge_id, secret_hash=key.secret_hash,
              public_key=key.public_key, status=ACTIVE, settings=settings, random=random,
              now=now)  # fmt: skip
        values = {column.key: getattr(credential, column.key) for column in _COLUMNS}
        if insert_new.count(connection, values) == 1:
            return credential, key.secret
    raise Aborted("no free credential name was found; retry")


def store(
    session: Session,
    *,
    bridge_id: str,
    credential_id: str | None,
    secret: str,
    status: str,
    settings: Settings,
    random: Random,
    now: datetime,
) -> Credential:
    """Store a credential with a given id (a new cutename when None), C1-format secret and status,
    as seeding asks. One with that id is kept as it is when it already has this key and status,
    and replaced otherwise (its tokens stop working). An ACTIVE one retires the bridge's active
    credential, as a mint does, and like a mint locks the bridge first."""
    key = decode_secret(secret)
    if key is None:
        raise InvalidArgument("clientSecret: not a C1 client secret")
    public_key = public_key_text(key)
    existing = session.get(Credential, credential_id) if credential_id else None
    if existing is not None and (existing.bridge_id, existing.public_key, existing.status) == (
        bridge_id,
        public_key,
        status,
    ):
        return existing
    bridges.lock(session, bridge_id=bridge_id)  # in a mint's order: no deadlock with one
    now = clock.under_lock(session, now)
    if status == ACTIVE:
        _retire_active(session, bridge_id=bridge_id, now=now)
        if existing is not None:
            session.refresh(existing)  # the Core UPDATE may have changed its row
    credential = existing or Credential(id=credential_id or ids.cutename(random))
    context = crypt_context(settings.secret_hash_scheme, settings.secret_hash_rounds)
    _fill(credential, bridge_id=bridge_id, secret_hash=hash_secret(context, secret),
          public_key=public_key, status=status, settings=settings, random=random,
          now=now)  # fmt: skip
    session.add(credential)
    session.flush()
    return credential


def _fill(
    credential: Credential,
    *,
    bridge_id: str,
    secret_hash: str,
    public_key: str,
    status: str,
    settings: Settings,
    random: Random,
    now: datetime,
) -> None:
    """Every column of a fresh credential: only a digest of the secret and its public key, and a
    new binding (the tokens of a credential it replaces stop working)."""
    credential.bridge_id = bridge_id
    credential.client_id = ids.client_id(credential.id, settings.tenant_domain, "tcc")
    credential.status = status
    credential.secret_hash = secret_hash
    credential.public_key = public_key
    credential.binding = b64url(random.bytes(12))
    credential.created_at = credential.updated_at = now
    credential.expires_at = now + timedelta(seconds=settings.credential_lifetime)
    credential.revoked_at = now if status == REVOKED else None
    credential.last_used_at = None
    if status == EXPIRED:
        credential.expires_at = now


# Every mint runs these: built once, on Core, run on the driver (core/driver.py).
_TABLE = cast(Table, Credential.__table__)
_COLUMNS = list(_TABLE.columns)
# INSERT ... ON CONFLICT DO NOTHING per dialect: a cutename already taken inserts no row, which the
# row count tells, and the mint draws another (at most _ATTEMPTS times).
_INSERT_NEW = {
    name: driver.Statement(
        dialect.insert(_TABLE)
        .values(driver.binds(_TABLE, *(column.key for column in _COLUMNS)))
        .on_conflict_do_nothing()
    )
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}
_ATTEMPTS = 5
_NOW = bindparam("now", type_=UTCDateTime)
_PAST_LIFETIME = _TABLE.c.expires_at <= _NOW
# One statement: a credential past its lifetime is EXPIRED (not revoked), any other REVOKED. Its
# status is a literal, so that SQLite plans it on the partial index of ACTIVE credentials.
_ACTIVE: ColumnElement[str] = literal_column(f"'{ACTIVE}'")
_RETIRE = driver.Statement(
    update(_TABLE)
    .where(_TABLE.c.bridge_id == bindparam("bridge"), _TABLE.c.status == _ACTIVE)
    .values(
        status=case((_PAST_LIFETIME, EXPIRED), else_=REVOKED),
        revoked_at=case((_PAST_LIFETIME, _TABLE.c.revoked_at), else_=_NOW),
        updated_at=_NOW,
    )
)


def _retire_active(db: driver.On, *, bridge_id: str, now: datetime) -> None:
    """The bridge's ACTIVE credential becomes REVOKED (EXPIRED if its lifetime had run out)."""
    _RETIRE.count(driver.on(db), {"bridge": bridge_id, "now": now})


def list_page(
    session: Session, *, bridge_id: str, page_size: int | None, page_token: str | None
) -> tuple[Sequence[Credential], str]:
    """Every credential of the bridge, active, revoked and expired, oldest first."""
    bridges.get(session, bridge_id=bridge_id)
    query = select(Credential).where(Credential.bridge_id == bridge_id)
    key = (Credential.created_at, Credential.id)
    return pagination.paginate(session, query, key=key, size=page_size, token=page_token)


def revoke(session: Session, *, credential_id: str, now: datetime) -> Credential:
    """Soft revoke: the row stays for audit, tokens can no longer be had with it. Idempotent."""
    credential = session.scalar(
        select(Credential).where(Credential.id == credential_id).with_for_update()
    )
    if credential is None:
        raise NotFound("credential not found")
    now = clock.under_lock(session, now)  # so that revokedAt never precedes a mint's createdAt
    if credential.status != REVOKED:
        credential.status = REVOKED
        credential.revoked_at = now
        credential.updated_at = now
        session.flush()
    return credential
