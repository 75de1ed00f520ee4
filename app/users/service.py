"""Users: every admin client (service principal, `/spc`) is a user of type USER_TYPE_SERVICE, as
service principals are in C1. Its id is the client id's name part (`ops-admin-00001` for
`ops-admin-00001@acme.conductor.one/spc`): stable across restarts and resets, and known to a test
before it asks. A tunnel credential is not a user."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.errors import NotFound
from ..core.models import AdminClient

# A user id is a client id's name part, so never longer than a client id, and never holds a NUL
# (which PostgreSQL cannot compare, where SQLite would just find nothing).
_MAX_ID = 320


def user_id_of(client_id: str) -> str:
    """The id of the user an admin client is: its client id's name part."""
    return client_id.split("@", 1)[0]


def get(session: Session, *, user_id: str) -> AdminClient:
    """The admin client whose user has this id, or NotFound. Should two admins share a name
    (seeded for different tenants before seeding refused it), the older one answers."""
    if not user_id or len(user_id) > _MAX_ID or "\x00" in user_id or "@" in user_id:
        raise NotFound("user not found")
    query = (
        select(AdminClient)
        .where(
            AdminClient.client_id.startswith(user_id + "@", autoescape=True),
            AdminClient.client_id.endswith("/spc"),
        )
        .order_by(AdminClient.created_at, AdminClient.client_id)
        .limit(1)
    )
    admin = session.scalar(query)
    if admin is None:
        raise NotFound("user not found")
    return admin
