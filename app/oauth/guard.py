"""The brute-force guard of the token endpoint: after `max_failed_auths`
failed client authentications for one client id within `failed_auth_window` seconds, further
attempts for that client id are refused with 429 until the oldest of those failures leaves the
window. Refused attempts are not counted, so the window is the whole lockout: an attacker cannot
keep the real holder out for longer than that by hammering on.

Failures live in the database (table auth_failures) so that every worker and replica shares
them; times follow the server clock, so tests can end a lockout by advancing it.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, delete, insert, select
from sqlalchemy.orm import Session

from ..core.errors import Answered, oauth
from ..core.models import AuthFailure

# The column's width; a longer client id can belong to no client, so its prefix is key enough.
_MAX_CLIENT_ID = 320


def _key(client_id: str) -> str:
    return client_id[:_MAX_CLIENT_ID]


def too_many_attempts(retry_after: int) -> Answered:
    """RFC 6749 section 5.2 body, with RFC 6585 429 and RFC 9110 Retry-After."""
    return oauth(
        "temporarily_unavailable",
        "too many failed authentications for this client; retry later",
        status=429,
        headers={"Retry-After": str(retry_after)},
    )


# Read for every token request: built once, on the table's columns (a select built per call, on
# the entity, cost more than the rest of a token request's reads together; measured).
_FAILURES = cast(Table, AuthFailure.__table__).c
_RECENT = (
    select(_FAILURES.at)
    .where(_FAILURES.client_id == bindparam("client_id"))
    .where(_FAILURES.at > bindparam("since"), _FAILURES.at <= bindparam("now"))
    .order_by(_FAILURES.at.desc())
    .limit(bindparam("limit"))
)


def check(session: Session, *, client_id: str, limit: int, window: int, now: datetime) -> None:
    """Raise 429 while `client_id` has `limit` or more failures in the last `window` seconds."""
    since = now - timedelta(seconds=window)
    values = {"client_id": _key(client_id), "since": since, "now": now, "limit": limit}
    recent = session.scalars(_RECENT, values).all()
    if len(recent) < limit:
        return
    # The lockout ends when the limit-th most recent failure leaves the window.
    ends = recent[-1] + timedelta(seconds=window)
    raise too_many_attempts(max(1, math.ceil((ends - now).total_seconds())))


def record_failure(session: Session, *, client_id: str, window: int, now: datetime) -> None:
    """Count one failed authentication; failures older than the window are dropped, so the table
    stays as small as the attack."""
    session.execute(delete(AuthFailure).where(AuthFailure.at <= now - timedelta(seconds=window)))
    session.execute(insert(AuthFailure).values(client_id=_key(client_id), at=now))
