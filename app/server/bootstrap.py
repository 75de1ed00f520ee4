"""What a server does once before it serves: migrate, make sure of its signing key and admins."""

from __future__ import annotations

import json
import sys
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ..config import Settings
from ..control import clock, seeding
from ..core import migrate
from ..core.db import Database
from ..core.errors import ApiError
from ..core.ids import Random
from ..core.models import AdminClient
from ..oauth import clients
from ..oauth.signer import load_signer

_STARTUP_LOCK = 0x6331_6D6F_636C  # beside migrations/env.py's migration lock


class SettingRefused(Exception):
    """A setting the start-up refused: its C1MOCK_ variable and why, in one line."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"{setting}: {message}")


def prepare(db: Database, settings: Settings, random: Random) -> str:
    """Apply migrations, create the signing key on first start, apply the seed file, register the
    admin client from settings (the one the server trusts as such: an admin of earlier settings
    stops working), or mint one when there is none and print it once on stderr. Returns one line
    on the admin client(s), for the start-up summary."""
    migrate.upgrade(db.engine)
    with db.session(write=True) as session:
        _one_server_at_a_time(session)
        now = clock.now(session)
        tenant, lifetime = settings.tenant_domain, settings.token_lifetime
        load_signer(session, tenant_domain=tenant, lifetime=lifetime, random=random, now=now)
        if settings.seed_file is not None:  # before the admin check: a seed may bring admins
            _apply_seed_file(session, settings, random, now)
        clients.retire_settings_admins(session, keep=settings.admin_client_id)
        if settings.admin_client_id and settings.admin_client_secret:
            _admin_from_settings(session, settings, random, now)
            return f"{settings.admin_client_id} (C1MOCK_ADMIN_CLIENT_ID)"
        existing = _admin_ids(session)
        if not existing:
            client_id, secret = clients.new_admin(
                session, source=clients.GENERATED, settings=settings, random=random, now=now
            )
            _announce(client_id, secret)
            return f"{client_id} (created now; its secret is printed above, once)"
    more = f" and {len(existing) - 1} more" if len(existing) > 1 else ""
    return (
        f"{existing[0]}{more}, already in this database (its secret was printed when it was "
        "made); run c1-mock admin create for another"
    )


def _admin_ids(session: Session) -> list[str]:
    return list(session.scalars(select(AdminClient.client_id).order_by(AdminClient.created_at)))


def _apply_seed_file(session: Session, settings: Settings, random: Random, now: datetime) -> None:
    assert settings.seed_file is not None
    path = settings.seed_file.resolve()
    try:
        document = seeding.load_file(path)
        seeding.apply(session, document=document, settings=settings, random=random, now=now)
    except ApiError as exc:
        raise SettingRefused("C1MOCK_SEED_FILE", f"{path}: {exc.message}") from None


def _admin_from_settings(
    session: Session, settings: Settings, random: Random, now: datetime
) -> None:
    assert settings.admin_client_id and settings.admin_client_secret
    try:
        clients.save_admin(
            session,
            client_id=settings.admin_client_id,
            secret=settings.admin_client_secret,
            source=clients.SETTINGS,
            settings=settings,
            random=random,
            now=now,
        )
    except ApiError as exc:
        raise SettingRefused("C1MOCK_ADMIN_CLIENT_ID", exc.message) from None


def _one_server_at_a_time(session: Session) -> None:
    """PostgreSQL: servers starting at once on one database would each create a signing key (and
    sign with different keys) or race to insert the same admin; this transaction-scoped lock lets
    one finish first. SQLite's BEGIN IMMEDIATE already does the same."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _STARTUP_LOCK})


def _announce(client_id: str, secret: str) -> None:
    credentials = json.dumps({"clientId": client_id, "clientSecret": secret})
    print(
        "\n"
        "c1-mock: created the admin client for this database. Its secret is shown only now:\n"
        f"  {credentials}\n"
        "Set C1MOCK_ADMIN_CLIENT_ID and C1MOCK_ADMIN_CLIENT_SECRET to choose your own.\n",
        file=sys.stderr,
        flush=True,
    )
