"""Tunnel credentials: mint (rotating out the active one), list, revoke."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import ids
from app.config import Settings
from app.errors import NotFound
from app.models import ACTIVE, EXPIRED, REVOKED, Credential
from app.security import crypt_context, hash_secret, new_secret
from app.services import bridges, pages


def mint(
    session: Session, *, bridge_id: str, settings: Settings, now: datetime
) -> tuple[Credential, str]:
    """Rotate the bridge's credential and return the new one with its plaintext secret.

    The bridge row is locked first (FOR UPDATE on PostgreSQL; SQLite holds the database write lock
    from BEGIN IMMEDIATE), so rotations of one bridge run one after another; the partial unique
    index on ACTIVE credentials is the backstop. The caller commits before answering.
    """
    bridges.get(session, bridge_id=bridge_id, lock=True)
    _retire_active(session, bridge_id=bridge_id, now=now)
    secret, public_key = new_secret()
    name = ids.cutename()
    credential = Credential(
        id=name,
        bridge_id=bridge_id,
        client_id=ids.client_id(name, settings.tenant_domain, "tcc"),
        status=ACTIVE,
        secret_hash=hash_secret(
            crypt_context(settings.secret_hash_scheme, settings.secret_hash_rounds), secret
        ),
        public_key=public_key,
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(seconds=settings.credential_lifetime),
        revoked_at=None,
        last_used_at=None,
    )
    session.add(credential)
    session.flush()
    return credential, secret


def _retire_active(session: Session, *, bridge_id: str, now: datetime) -> None:
    """The bridge's ACTIVE credential becomes REVOKED (EXPIRED if its lifetime had run out)."""
    active = (Credential.bridge_id == bridge_id) & (Credential.status == ACTIVE)
    session.execute(
        update(Credential)
        .where(active, Credential.expires_at <= now)
        .values(status=EXPIRED, updated_at=now)
    )
    session.execute(
        update(Credential).where(active).values(status=REVOKED, revoked_at=now, updated_at=now)
    )


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
    return pages.paginate(session, query, size=page_size, token=page_token)


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
