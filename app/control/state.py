"""The whole state at once: reset it to a fresh server's, and show it (never a secret)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..config import Settings
from ..core.ids import Random
from ..core.models import AdminClient, Base, Bridge, Credential
from ..core.protojson import timestamp
from ..tunnel.views import bridge_view, credential_view
from . import clock, seeding


def reset(session: Session, *, settings: Settings, random: Random) -> None:
    """Back to a fresh server: every table emptied but those a reset keeps (the signing key, so
    tokens issued before still verify, and the admin clients of the settings and the operator),
    the admins a seed made removed, real time, the random stream of deterministic mode from its
    start, and the seed file applied again."""
    for table in reversed(Base.metadata.sorted_tables):
        if not table.info.get("kept_on_reset"):
            session.execute(delete(table))
    session.execute(delete(AdminClient).where(AdminClient.source == seeding.SEED))
    random.restart()
    if settings.seed_file is not None:
        document = seeding.load_file(settings.seed_file)
        seeding.apply(
            session, document=document, settings=settings, random=random, now=clock.real_now()
        )


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
