"""`c1-mock admin create | list | revoke`: the operator's admin clients, managed on the database
directly (a server need not run). Secrets are printed once, by `create`, and never listed."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from ..config import Settings
from ..control import clock
from ..core import migrate
from ..core.db import Database
from ..core.ids import Random
from ..core.protojson import timestamp
from ..oauth import clients


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    db = Database(settings.database_url)
    try:
        migrate.upgrade(db.engine)
        with db.session(write=True) as session:
            yield session
    finally:
        db.dispose()


def create(settings: Settings) -> None:
    """Mint an admin client and print `{"clientId", "clientSecret"}` on stdout, once."""
    with _session(settings) as session:
        client_id, secret = clients.new_admin(
            session, source=clients.CLI, settings=settings, random=Random(), now=clock.now(session)
        )
    print(json.dumps({"clientId": client_id, "clientSecret": secret}))


def list_all(settings: Settings) -> None:
    """One JSON object a line: client id, where it came from, when made and last used."""
    with _session(settings) as session:
        for admin in clients.listed(session):
            listed = {
                "clientId": admin.client_id,
                "source": admin.source,
                "createdAt": timestamp(admin.created_at),
                "lastUsedAt": timestamp(admin.last_used_at),
            }
            print(json.dumps(listed))


def revoke(settings: Settings, client_id: str) -> None:
    """Remove an admin client; its tokens stop working at once. The settings' own admin comes
    back at the next start, so it is refused here: change the settings instead."""
    if client_id == settings.admin_client_id:
        sys.exit(
            "c1-mock: this is the admin of the settings (C1MOCK_ADMIN_CLIENT_ID); "
            "name another there and restart to retire it"
        )
    with _session(settings) as session:
        removed = clients.remove(session, client_id=client_id)
    if not removed:
        sys.exit(f"c1-mock: no admin client {client_id!r}")
    print(f"c1-mock: revoked {client_id}", file=sys.stderr)
