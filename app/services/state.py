"""The whole state at once: reset it to a fresh server's, and show it (never a secret)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app import ids
from app.config import Settings
from app.models import (
    AdminClient,
    AuthFailure,
    Bridge,
    ClockState,
    Credential,
    Fault,
    JournalEntry,
    UsedNonce,
)
from app.schemas import bridge_view, credential_view, timestamp
from app.services import clock, seeding


def reset(session: Session, *, settings: Settings) -> None:
    """Back to a fresh server: no bridges, credentials, journal, faults, used nonces or failed
    authentications, real time, the id stream of deterministic mode from its start, and the seed
    file applied again. The signing key stays, so tokens issued before still verify."""
    for model in (Credential, Bridge, JournalEntry, Fault, UsedNonce, AuthFailure, ClockState):
        session.execute(delete(model))
    # Only the admins a seed made: those from settings and the operator's own (generated at
    # first start, whose secret was printed once, or made by `c1-mock admin create`) stay, or a
    # reset would lock the operator out.
    session.execute(delete(AdminClient).where(AdminClient.source == seeding.SEED))
    ids.seed(settings.random_seed)
    if settings.seed_file is not None:
        document = seeding.load_file(settings.seed_file)
        seeding.apply(session, document=document, settings=settings, now=clock.real_now())


def snapshot(session: Session, *, now: datetime) -> dict[str, Any]:
    """Every bridge, credential and admin client as the API shows them, without secrets."""
    bridges = session.scalars(select(Bridge).order_by(Bridge.created_at, Bridge.id)).all()
    credentials = session.scalars(
        select(Credential).order_by(Credential.created_at, Credential.id)
    ).all()
    admins = session.scalars(select(AdminClient).order_by(AdminClient.client_id)).all()
    return {
        "now": timestamp(now),
        "bridges": [bridge_view(b) for b in bridges],
        "credentials": [credential_view(c, now) for c in credentials],
        "clients": [seeding.client_view(a) for a in admins],
    }
