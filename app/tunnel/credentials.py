"""Tunnel credentials: mint (rotating out the active one), list, revoke."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, case, insert, select, update
from sqlalchemy.orm import Session

from ..config import Settings
from ..core import ids, pagination
from ..core.crypto import crypt_context, decode_secret, hash_secret, new_secret, public_key_text
from ..core.errors import InvalidArgument, NotFound
from ..core.ids import Random
from ..core.models import ACTIVE, EXPIRED, REVOKED, Credential, UTCDateTime
from . import bridges


def mint(
    session: Session, *, bridge_id: str, settings: Settings, random: Random, now: datetime
) -> tuple[Credential, str]:
    """Rotate the bridge's credential and return the new one with its plaintext secret.

    The bridge row is locked first (FOR UPDATE on PostgreSQL; SQLite holds the database write lock
    from BEGIN IMMEDIATE), so rotations of one bridge run one after another; the partial unique
    index on ACTIVE credentials is the backstop. The caller commits before answering.
    """
    bridges.lock(session, bridge_id=bridge_id)
    _retire_active(session, bridge_id=bridge_id, now=now)
    secret, public_key = new_secret(random)
    credential = Credential(id=ids.cutename(random))
    _fill(
        credential,
        bridge_id=bridge_id,
        secret=secret,
        public_key=public_key,
        status=ACTIVE,
        settings=settings,
        now=now,
    )
    # A Core INSERT: the ORM's flush of the one new row cost as much as the rest of the mint's
    # statements together (measured for `make bench`). The credential stays out of the session.
    session.execute(_INSERT, {column.key: getattr(credential, column.key) for column in _COLUMNS})
    return credential, secret


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
    and replaced otherwise. An ACTIVE one retires the bridge's active credential, as a mint does."""
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
    if status == ACTIVE:
        _retire_active(session, bridge_id=bridge_id, now=now)
        if existing is not None:
            session.refresh(existing)  # the Core UPDATE may have changed its row
    credential = existing or Credential(id=credential_id or ids.cutename(random))
    _fill(
        credential,
        bridge_id=bridge_id,
        secret=secret,
        public_key=public_key,
        status=status,
        settings=settings,
        now=now,
    )
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
    now: datetime,
) -> None:
    """Every column of a fresh credential: only a digest of the secret and its public key."""
    context = crypt_context(settings.secret_hash_scheme, settings.secret_hash_rounds)
    credential.bridge_id = bridge_id
    credential.client_id = ids.client_id(credential.id, settings.tenant_domain, "tcc")
    credential.status = status
    credential.secret_hash = hash_secret(context, secret)
    credential.public_key = public_key
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
_INSERT = insert(_TABLE)
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
    query = (
        select(Credential)
        .where(Credential.bridge_id == bridge_id)
        .order_by(Credential.created_at, Credential.id)
    )
    return pagination.paginate(session, query, size=page_size, token=page_token)


def revoke(session: Session, *, credential_id: str, now: datetime) -> Credential:
    """Soft revoke: the row stays for audit, tokens can no longer be had with it. Idempotent."""
    credential = session.scalar(
        select(Credential).where(Credential.id == credential_id).with_for_update()
    )
    if credential is None:
        raise NotFound("credential not found")
    if credential.status != REVOKED:
        credential.status = REVOKED
        credential.revoked_at = now
        credential.updated_at = now
        session.flush()
    return credential
