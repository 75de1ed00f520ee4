"""Tunnel credentials: mint (rotating out the active one), list, revoke."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..config import Settings
from ..control import clock
from ..core import ids, pagination
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


def mint(
    session: Session, *, bridge_id: str, settings: Settings, random: Random, now: datetime
) -> tuple[Credential, str]:
    """Rotate the bridge's credential and return the new one with its plaintext secret.

    The bridge row is locked first (FOR UPDATE on PostgreSQL; SQLite holds the database write lock
    from BEGIN IMMEDIATE), so rotations of one bridge run one after another, and their times are
    read under that lock, so they follow the order the rotations commit in; the partial unique
    index on ACTIVE credentials is the backstop. The caller commits before answering.
    """
    bridges.lock(session, bridge_id=bridge_id)
    now = clock.under_lock(session, now)
    _retire_active(session, bridge_id=bridge_id, now=now)
    secret, public_key = new_secret(random)
    insert_new = _INSERT_NEW[session.get_bind().dialect.name]
    for _ in range(_ATTEMPTS):  # a name another credential holds: draw another
        credential = Credential(id=ids.cutename(random))
        _fill(credential, bridge_id=bridge_id, secret=secret, public_key=public_key,
              status=ACTIVE, settings=settings, random=random, now=now)  # fmt: skip
        # A Core INSERT: the ORM's flush of the one new row cost as much as the rest of the
        # mint's statements together (measured for `make bench`).
        values = {column.key: getattr(credential, column.key) for column in _COLUMNS}
        if cast(CursorResult[Any], session.execute(insert_new, values)).rowcount == 1:
            return credential, secret
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
    _fill(credential, bridge_id=bridge_id, secret=secret, public_key=public_key,
          status=status, settings=settings, random=random, now=now)  # fmt: skip
    session.add(credential)
    session.flush()
    return credential


def _fill(
    credential: Credential,
    *,
    bridge_id: str,
    secret: str,
    public_key: str,
    status: str,
    settings: Settings,
    random: Random,
    now: datetime,
) -> None:
    """Every column of a fresh credential: only a digest of the secret and its public key, and a
    new binding (the tokens of a credential it replaces stop working)."""
    context = crypt_context(settings.secret_hash_scheme, settings.secret_hash_rounds)
    credential.bridge_id = bridge_id
    credential.client_id = ids.client_id(credential.id, settings.tenant_domain, "tcc")
    credential.status = status
    credential.secret_hash = hash_secret(context, secret)
    credential.public_key = public_key
    credential.binding = b64url(random.bytes(12))
    credential.created_at = credential.updated_at = now
    credential.expires_at = now + timedelta(seconds=settings.credential_lifetime)
    credential.revoked_at = now if status == REVOKED else None
    credential.last_used_at = None
    if status == EXPIRED:
        credential.expires_at = now


# Every mint runs this: built once, on Core (ORM bulk UPDATEs built per call cost five times as
# much, measured for `make bench`). One statement: a credential past its lifetime is EXPIRED
# (not revoked), any other REVOKED.
_TABLE = cast(Table, Credential.__table__)
_COLUMNS = list(_TABLE.columns)
# INSERT ... ON CONFLICT DO NOTHING per dialect: a cutename already taken inserts no row, which the
# row count tells, and the mint draws another (at most _ATTEMPTS times).
_INSERT_NEW = {
    name: dialect.insert(_TABLE).on_conflict_do_nothing().execution_options(preserve_rowcount=True)
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}
_ATTEMPTS = 5
_NOW = bindparam("now", type_=UTCDateTime)
_PAST_LIFETIME = _TABLE.c.expires_at <= _NOW
_RETIRE = (
    update(_TABLE)
    .where(_TABLE.c.bridge_id == bindparam("bridge"), _TABLE.c.status == ACTIVE)
    .values(
        status=case((_PAST_LIFETIME, EXPIRED), else_=REVOKED),
        revoked_at=case((_PAST_LIFETIME, _TABLE.c.revoked_at), else_=_NOW),
        updated_at=_NOW,
    )
)


def _retire_active(session: Session, *, bridge_id: str, now: datetime) -> None:
    """The bridge's ACTIVE credential becomes REVOKED (EXPIRED if its lifetime had run out)."""
    session.execute(_RETIRE, {"bridge": bridge_id, "now": now})


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
